import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError } from '../../common/config/config-error.js';
import { loadConfig } from '../../common/config/load-config.js';
import { mediaspreadConfigSchema } from '../../launcher/config-schema.js';
import { portalSchema } from '../../portal/config.js';

describe('portal: [portal] config section', () => {
  it('defaults every field', () => {
    const c = portalSchema.parse({});
    assert.equal(c.port, 8080);
    assert.equal(c.host, '127.0.0.1');
    assert.equal(c.reconnectionTicketLifetimeMs, 600_000);
    assert.equal(c.participantKeepMs, 60_000);
    assert.equal(c.tls, undefined);
    assert.deepEqual(c.capacity, { isps: [], regions: [] });
    assert.equal(c.limits.maxMessageBytes, 256 * 1024);
  });

  it('is part of the launcher config, with env overrides and named errors', () => {
    const config = loadConfig(mediaspreadConfigSchema, {
      env: { MEDIASPREAD__portal__port: '9443', MEDIASPREAD__portal__publicHost: 'media.example.com:9443' },
    });
    assert.equal(config.portal.port, 9443);
    assert.equal(config.portal.publicHost, 'media.example.com:9443');
    assert.throws(
      () => loadConfig(mediaspreadConfigSchema, { env: { MEDIASPREAD__portal__prot: '1' } }),
      (err: unknown) => err instanceof ConfigError && /portal/.test(err.message) && /prot/.test(err.message),
    );
    assert.throws(() => portalSchema.parse({ limits: { burst: 0 } }));
    assert.throws(() => portalSchema.parse({ tls: { cert: 'c.pem' } }));
  });
});
