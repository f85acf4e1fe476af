import { loadConfig } from '../common/config/load-config.js';
import { type MediaspreadConfig, mediaspreadConfigSchema } from './config-schema.js';

/** The configuration from a TOML file (or defaults) plus MEDIASPREAD__… environment overrides. */
export function readConfig(file?: string): MediaspreadConfig {
  return loadConfig(mediaspreadConfigSchema, { file });
}
