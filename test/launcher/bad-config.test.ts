import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startCli, writeTempConfig } from '../support/cli-process.js';

/** Each bad config: exit code 2, a message naming the field, no stack trace. */
const cases: { name: string; toml: string; expect: RegExp[] }[] = [
  { name: 'not TOML', toml: 'this is = = not toml', expect: [/not valid TOML at line 1/] },
  {
    name: 'wrong type',
    toml: '[rpc]\ndefaultTimeoutMs = "soon"\n',
    expect: [/rpc\.defaultTimeoutMs/, /number/],
  },
  {
    name: 'unknown key',
    toml: '[rpc]\ntransprt = "amqp"\n',
    expect: [/rpc/, /unknown field\(s\) 'transprt'/],
  },
  { name: 'bad enum', toml: '[log]\nlevel = "loud"\n', expect: [/log\.level/] },
  {
    name: 'bad URL',
    toml: '[rpc]\ntransport = "amqp"\namqpUrl = "nope"\n',
    expect: [/rpc\.amqpUrl/, /amqp:\/\/ URL/],
  },
  {
    name: 'several bad fields at once',
    toml: '[clusterManager]\nkeepAliveIntervalMs = -1\n[agents.webrtc]\nmaxLoad = 7\n',
    expect: [/clusterManager\.keepAliveIntervalMs/, /agents\.webrtc\.maxLoad/],
  },
  { name: 'unknown section', toml: '[portl]\nport = 1\n', expect: [/unknown field\(s\) 'portl'/] },
];

describe('launcher: bad configuration files', () => {
  for (const c of cases) {
    it(`${c.name} → clear error, exit 2`, async () => {
      const file = writeTempConfig(c.toml);
      const proc = startCli(['start', 'cluster-manager', '--config', file]);
      const { code } = await proc.exited;
      const out = proc.output();
      assert.equal(code, 2, out);
      assert.match(out, /invalid configuration/);
      for (const re of c.expect) assert.match(out, re);
      assert.doesNotMatch(out, /\n\s+at .+:\d+:\d+/, 'no stack trace');
    });
  }

  it('missing file → clear error, exit 2', async () => {
    const proc = startCli(['start', 'cluster-manager', '--config', '/nonexistent/mediaspread.toml']);
    const { code } = await proc.exited;
    assert.equal(code, 2);
    assert.match(proc.output(), /cannot read config file: file not found/);
  });

  it('environment override with a bad value is named like a file field', async () => {
    const file = writeTempConfig('[rpc]\ntransport = "amqp"\n');
    const proc = startCli(['start', 'cluster-manager', '--config', file], {
      MEDIASPREAD__rpc__defaultTimeoutMs: '-5',
    });
    const { code } = await proc.exited;
    assert.equal(code, 2);
    assert.match(proc.output(), /rpc\.defaultTimeoutMs/);
  });

  it('cluster mode with the local transport is refused with a clear message', async () => {
    const file = writeTempConfig('[rpc]\ntransport = "local"\n');
    const proc = startCli(['start', 'cluster-manager', '--config', file]);
    const { code } = await proc.exited;
    assert.equal(code, 2);
    assert.match(proc.output(), /cluster mode needs rpc\.transport = "amqp"/);
  });

  it('unknown part is refused', async () => {
    const file = writeTempConfig('[rpc]\ntransport = "amqp"\n');
    const proc = startCli(['start', 'nonsense', '--config', file]);
    const { code } = await proc.exited;
    assert.equal(code, 2);
    assert.match(proc.output(), /unknown part 'nonsense'/);
  });
});

describe('launcher: cluster mode without a broker', () => {
  it('waits rpc.connectWaitMs for the broker, then exits 1 with the reason', async () => {
    const file = writeTempConfig(
      '[rpc]\ntransport = "amqp"\namqpUrl = "amqp://u:secretpw@127.0.0.1:1"\nconnectWaitMs = 1200\n',
    );
    const started = Date.now();
    const proc = startCli(['start', 'cluster-manager', '--config', file]);
    const { code } = await proc.exited;
    assert.equal(code, 1);
    assert.ok(Date.now() - started >= 1000, 'it retried before giving up');
    assert.match(proc.output(), /ECONNREFUSED/);
    assert.match(proc.output(), /RPC broker not reachable yet/);
    assert.doesNotMatch(proc.output(), /secretpw/, 'the broker password is never printed');
  });
});
