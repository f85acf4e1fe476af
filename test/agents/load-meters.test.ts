import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import { describe, it } from 'node:test';
import { CpuLoadMeter } from '../../agents/load/cpu-load-meter.js';
import { loadKindFor } from '../../agents/load/create-load-meter.js';
import { DiskLoadMeter } from '../../agents/load/disk-load-meter.js';
import { NetworkLoadMeter, parseNetDev } from '../../agents/load/network-load-meter.js';

const netDev = (ethBytes: [number, number], loBytes: [number, number]) => `Inter-|   Receive |  Transmit
 face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
    lo: ${loBytes[0]} 10 0 0 0 0 0 0 ${loBytes[1]} 10 0 0 0 0 0 0
  eth0: ${ethBytes[0]} 20 0 0 0 0 0 0 ${ethBytes[1]} 20 0 0 0 0 0 0
`;

describe('load meters', () => {
  it('parses /proc/net/dev into rx+tx bytes per interface', () => {
    const stats = parseNetDev(netDev([1000, 500], [7, 3]));
    assert.equal(stats.get('eth0'), 1500);
    assert.equal(stats.get('lo'), 10);
  });

  it('network load is traffic against the configured bandwidth, loopback excluded', async () => {
    let text = netDev([0, 0], [0, 0]);
    let now = 0;
    const meter = new NetworkLoadMeter({
      bandwidthMbps: 100,
      interfaces: [],
      readStats: async () => text,
      now: () => now,
    });
    assert.equal(await meter.sample(), 0, 'first sample has no baseline');
    // 25 Mbit in one second on eth0 = 25 % of 100 Mbps; loopback traffic does not count.
    text = netDev([2_000_000, 1_125_000], [999_999_999, 999_999_999]);
    now = 1000;
    assert.ok(Math.abs((await meter.sample()) - 0.25) < 1e-9);
    // Above the bandwidth clamps to 1.
    text = netDev([200_000_000, 1_125_000], [0, 0]);
    now = 2000;
    assert.equal(await meter.sample(), 1);
  });

  it('named interfaces only, when configured', async () => {
    let text = netDev([0, 0], [0, 0]);
    let now = 0;
    const meter = new NetworkLoadMeter({
      bandwidthMbps: 8,
      interfaces: ['lo'],
      readStats: async () => text,
      now: () => now,
    });
    await meter.sample();
    text = netDev([50_000_000, 0], [500_000, 0]);
    now = 1000;
    assert.ok(Math.abs((await meter.sample()) - 0.5) < 1e-9);
  });

  it('cpu load is a fraction between 0 and 1', async () => {
    const meter = new CpuLoadMeter();
    const end = Date.now() + 100;
    while (Date.now() < end) Math.sqrt(Math.random());
    const load = await meter.sample();
    assert.ok(load > 0 && load <= 1, String(load));
  });

  it('disk load is the used fraction of the file system', async () => {
    const load = await new DiskLoadMeter(tmpdir()).sample();
    assert.ok(load > 0 && load < 1, String(load));
  });

  it('access purposes report network, recording disk, processing cpu', () => {
    assert.equal(loadKindFor('webrtc'), 'network');
    assert.equal(loadKindFor('streaming'), 'network');
    assert.equal(loadKindFor('recording'), 'disk');
    assert.equal(loadKindFor('video'), 'cpu');
    assert.equal(loadKindFor('audio'), 'cpu');
    assert.equal(loadKindFor('conference'), 'cpu');
  });
});
