import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { readConfig } from '../../launcher/read-config.js';

const EXAMPLE = fileURLToPath(new URL('../../../deploy/mediaspread.example.toml', import.meta.url));

describe('deploy/mediaspread.example.toml', () => {
  it('is a valid configuration that selects cluster mode', () => {
    const config = readConfig(EXAMPLE);
    assert.equal(config.rpc.transport, 'amqp');
    assert.equal(config.agents.webrtc?.nodes.prerun, 1);
    assert.equal(config.clusterManager.strategies.video, 'least-used');
  });
});
