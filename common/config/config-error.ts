import { MediaSpreadError } from '../errors.js';

export interface ConfigIssue {
  /** Dotted path of the field, e.g. `rpc.amqpUrl`. */
  field: string;
  message: string;
}

/** A configuration that cannot be used; lists every bad field at once. */
export class ConfigError extends MediaSpreadError {
  readonly issues: ConfigIssue[];

  constructor(source: string, issues: ConfigIssue[]) {
    const lines = issues.map((i) => `  - ${i.field || '(root)'}: ${i.message}`);
    super(`invalid configuration (${source}):\n${lines.join('\n')}`, {
      code: 'INVALID_CONFIG',
      data: issues,
    });
    this.issues = issues;
  }
}
