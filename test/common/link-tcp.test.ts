import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { type AddressInfo, createServer, type Server, type Socket, connect as tcpConnect } from 'node:net';
import { describe, it, type TestContext } from 'node:test';
import { connectLink } from '../../common/links/connect-link.js';
import { LinkAuthError, LinkProtocolError } from '../../common/links/link-errors.js';
import type { LinkRejection, LinkServer } from '../../common/links/link-server.js';
import { signTicket } from '../../common/links/link-ticket.js';
import type { MediaLink } from '../../common/links/media-link.js';
import { decodeMessage, encodeMessageChunks } from '../../common/media/frame-wire.js';
import type { LinkTicket } from '../../common/media/link-message.js';
import type { MediaFeedback } from '../../common/media/media-feedback.js';
import type { MediaFrame } from '../../common/media/media-frame.js';
import { connectPair, nextEvent, SECRET, startServer, waitFor } from './link-test-helpers.js';

function frame(seq: number, keyframe = false, size = 200): MediaFrame {
  const payload = randomBytes(size);
  payload.writeUInt32BE(seq, 0);
  return {
    kind: 'video',
    codec: 'vp8',
    keyframe,
    timestamp: seq * 3000,
    clockRate: 90_000,
    width: 0,
    height: 0,
    payload,
  };
}

async function serverFor(t: TestContext, ...args: Parameters<typeof startServer>): Promise<LinkServer> {
  const server = await startServer(...args);
  t.after(() => server.close());
  return server;
}

function closeAfter(t: TestContext, ...links: MediaLink[]): void {
  t.after(() => {
    for (const link of links) link.close('test done');
  });
}

async function expectRefused(
  t: TestContext,
  server: LinkServer,
  issueTicket: (claims: Parameters<typeof signTicket>[0]) => LinkTicket,
): Promise<LinkRejection> {
  const rejected = nextEvent<[LinkRejection]>(server, 'rejected');
  let linked = false;
  const onLink = () => {
    linked = true;
  };
  server.on('link', onLink);
  t.after(() => server.off('link', onLink));
  await assert.rejects(
    connectLink({
      host: server.host,
      port: server.port,
      localNodeId: 'node-a',
      remoteNodeId: 'node-b',
      secret: SECRET,
      issueTicket,
    }),
    LinkAuthError,
  );
  const [rejection] = await rejected;
  assert.equal(linked, false, 'no link was created for a refused ticket');
  return rejection;
}

describe('TCP internal link', () => {
  it('authenticates with a valid ticket and measures RTT', async (t) => {
    const server = await serverFor(t);
    const { client, serverLink } = await connectPair(server);
    closeAfter(t, client);
    assert.equal(serverLink.peerNodeId, 'node-a');
    assert.equal(client.peerNodeId, 'node-b');
    assert.equal(serverLink.id, client.id);
    const rtt = await client.ping();
    assert.ok(rtt >= 0 && rtt < 1000, `rtt ${rtt}`);
    assert.equal(client.stats().rttMs, rtt);
  });

  it('refuses forged, expired, replayed and misdirected tickets', async (t) => {
    const server = await serverFor(t);
    const forged = await expectRefused(t, server, (c) => signTicket(c, 'not-the-secret'));
    assert.equal(forged.code, 'bad-signature');
    const expired = await expectRefused(t, server, (c) =>
      signTicket({ ...c, expiresAt: Date.now() - 60_000 }, SECRET),
    );
    assert.equal(expired.code, 'expired');
    const tooLong = await expectRefused(t, server, (c) =>
      signTicket({ ...c, expiresAt: Date.now() + 86_400_000 }, SECRET),
    );
    assert.equal(tooLong.code, 'expired');
    const misdirected = await expectRefused(t, server, (c) =>
      signTicket({ ...c, destNodeId: 'node-c' }, SECRET),
    );
    assert.equal(misdirected.code, 'wrong-destination');
    const tampered = await expectRefused(t, server, (c) => ({
      ...signTicket(c, SECRET),
      sourceNodeId: 'node-z',
    }));
    assert.equal(tampered.code, 'bad-signature');

    let captured: LinkTicket | undefined;
    const { client } = await connectPair(server, {
      issueTicket: (c) => {
        captured = signTicket(c, SECRET);
        return captured;
      },
    });
    closeAfter(t, client);
    const replayed = await expectRefused(t, server, () => captured!);
    assert.equal(replayed.code, 'replayed');
  });

  it('accepts no data before authentication', async (t) => {
    const server = await serverFor(t, { authTimeoutMs: 300 });
    let linked = false;
    server.on('link', () => {
      linked = true;
    });
    const raw = async (bytes: Uint8Array | undefined): Promise<LinkRejection['code'] | 'closed'> => {
      const socket = tcpConnect({ host: server.host, port: server.port });
      t.after(() => socket.destroy());
      const chunks: Buffer[] = [];
      socket.on('data', (c: Buffer) => chunks.push(c));
      socket.on('error', () => {});
      if (bytes) socket.write(bytes);
      await nextEvent(socket, 'close', 5_000);
      const all = Buffer.concat(chunks);
      if (all.byteLength < 4) return 'closed';
      const message = decodeMessage(all.subarray(4, 4 + all.readUInt32BE(0)));
      assert.equal(message.type, 'reject');
      return message.type === 'reject' ? message.code : 'closed';
    };
    const frameFirst = Buffer.concat(
      encodeMessageChunks({ type: 'frame', streamId: 's', frame: frame(1, true) }),
    );
    assert.equal(await raw(frameFirst), 'protocol-error');
    const huge = Buffer.from([0x00, 0x10, 0x00, 0x00, 1, 1]);
    assert.equal(await raw(huge), 'protocol-error');
    assert.equal(await raw(randomBytes(64)), 'protocol-error');
    assert.equal(await raw(undefined), 'protocol-error'); // silent client: auth timeout
    assert.equal(linked, false);
  });

  it('carries many streams both ways, in order', async (t) => {
    const server = await serverFor(t);
    const { client, serverLink } = await connectPair(server);
    closeAfter(t, client);
    const received = new Map<string, number[]>();
    const collect = (streamId: string, f: MediaFrame) => {
      const seqs = received.get(streamId) ?? [];
      seqs.push(Buffer.from(f.payload).readUInt32BE(0));
      received.set(streamId, seqs);
    };
    serverLink.on('frame', collect);
    client.on('frame', collect);
    const announced: string[] = [];
    serverLink.on('stream', (id) => announced.push(id));
    for (let seq = 0; seq < 20; seq++) {
      for (let s = 0; s < 50; s++) assert.ok(client.sendFrame(`up-${s}`, frame(seq, seq === 0)));
      for (let s = 0; s < 10; s++) assert.ok(serverLink.sendFrame(`down-${s}`, frame(seq, seq === 0)));
    }
    await waitFor(
      () => [...received.values()].reduce((n, v) => n + v.length, 0) === 60 * 20,
      5_000,
      'all frames',
    );
    const expected = Array.from({ length: 20 }, (_, i) => i);
    for (const [id, seqs] of received) assert.deepEqual(seqs, expected, id);
    assert.equal(received.size, 60);
    assert.equal(announced.length, 50);
    assert.equal(client.stats().framesSent, 1000);
    assert.equal(serverLink.stats().framesReceived, 1000);

    const ended = nextEvent<[string]>(serverLink, 'streamend');
    client.endStream('up-7');
    assert.deepEqual(await ended, ['up-7']);
    assert.equal(serverLink.incomingStreams.length, 49);
  });

  it('carries feedback both ways', async (t) => {
    const server = await serverFor(t);
    const { client, serverLink } = await connectPair(server);
    closeAfter(t, client);
    const atClient = nextEvent<[string, MediaFeedback, string]>(client, 'feedback');
    serverLink.sendFeedback('up', { type: 'keyframe-request' });
    assert.deepEqual(await atClient, ['up', { type: 'keyframe-request' }, 'remote']);
    const atServer = nextEvent<[string, MediaFeedback, string]>(serverLink, 'feedback');
    client.sendFeedback('down', { type: 'target-bitrate', bps: 1_500_000 });
    assert.deepEqual(await atServer, ['down', { type: 'target-bitrate', bps: 1_500_000 }, 'remote']);
  });

  it('reassembles large frames split across TCP reads', async (t) => {
    const server = await serverFor(t);
    const { client, serverLink } = await connectPair(server);
    closeAfter(t, client);
    const sizes = [4 * 1024 * 1024, 1, 65_537, 3 * 1024 * 1024 + 7];
    const sent = sizes.map((size, i) => frame(i, true, Math.max(size, 4)));
    const got: MediaFrame[] = [];
    serverLink.on('frame', (_id, f) => got.push(f));
    for (const f of sent) client.sendFrame('big', f);
    await waitFor(() => got.length === sent.length, 10_000, 'large frames');
    const digest = (f: MediaFrame) => createHash('sha256').update(f.payload).digest('hex');
    assert.deepEqual(got.map(digest), sent.map(digest));
  });

  it('closes the link on an oversized message', async (t) => {
    const server = await serverFor(t, { link: { maxMessageBytes: 64 * 1024 } });
    const { client, serverLink } = await connectPair(server);
    closeAfter(t, client);
    const error = nextEvent<[Error]>(serverLink, 'error');
    const clientClosed = nextEvent<[string]>(client, 'close');
    client.sendFrame('s', frame(1, true, 100 * 1024));
    const [err] = await error;
    assert.ok(err instanceof LinkProtocolError, String(err));
    assert.equal(serverLink.state, 'closed');
    const [reason] = await clientClosed;
    assert.match(reason, /protocol error/);
  });

  it('reconnects after the server drops the socket and re-announces its streams', async (t) => {
    const server = await serverFor(t);
    const { client, serverLink } = await connectPair(server);
    closeAfter(t, client);
    client.sendFrame('cam', frame(0, true));
    await nextEvent(serverLink, 'frame');

    const disconnected = nextEvent(client, 'disconnect');
    const reopened = nextEvent<[{ resumed: boolean }]>(client, 'open');
    const serverReopened = nextEvent<[{ resumed: boolean }]>(serverLink, 'open');
    const reannounced = nextEvent<[string, { reannounced: boolean }]>(serverLink, 'stream');
    const keyframeWanted = nextEvent<[string, MediaFeedback, string]>(client, 'feedback');
    serverLink.dropTransport('test drop');
    await disconnected;
    assert.deepEqual(await reopened, [{ resumed: true }]);
    assert.deepEqual(await serverReopened, [{ resumed: true }]);
    assert.deepEqual(await reannounced, ['cam', { reannounced: true }]);
    assert.deepEqual(await keyframeWanted, ['cam', { type: 'keyframe-request' }, 'local']);
    assert.equal(server.activeLinks.length, 1, 'the same link resumed');

    // Non-key frames wait for the keyframe the link asked for.
    assert.equal(client.sendFrame('cam', frame(1)), false);
    const next = nextEvent<[string, MediaFrame]>(serverLink, 'frame');
    assert.equal(client.sendFrame('cam', frame(2, true)), true);
    const [, f] = await next;
    assert.equal(Buffer.from(f.payload).readUInt32BE(0), 2);
    assert.equal(client.stats().reconnects, 1);
  });

  it('a server shutdown closes the client side for good (no reconnect)', async (t) => {
    const server = await startServer();
    const { client } = await connectPair(server);
    closeAfter(t, client);
    const closed = nextEvent<[string]>(client, 'close');
    await server.close();
    assert.match((await closed)[0], /server closing/);
    assert.equal(client.state, 'closed');
  });

  it('a client close closes the server side for good', async (t) => {
    const server = await serverFor(t);
    const { client, serverLink } = await connectPair(server);
    const closed = nextEvent<[string]>(serverLink, 'close');
    client.close('done');
    assert.match((await closed)[0], /done/);
    await waitFor(() => server.activeLinks.length === 0, 2_000, 'link removed');
  });
});

describe('TCP internal link through an outage', () => {
  it('retries with backoff while the server is unreachable, then resumes the link', async (t) => {
    const server = await serverFor(t);
    // A proxy in front of the server stands for the network: it can drop and refuse connections.
    const sockets = new Set<Socket>();
    const startProxy = (port: number) =>
      new Promise<Server>((resolve) => {
        const proxy = createServer((inbound) => {
          const outbound = tcpConnect({ host: server.host, port: server.port });
          for (const s of [inbound, outbound]) {
            sockets.add(s);
            s.on('error', () => {});
            s.on('close', () => {
              sockets.delete(s);
              inbound.destroy();
              outbound.destroy();
            });
          }
          inbound.pipe(outbound).pipe(inbound);
        });
        proxy.listen(port, '127.0.0.1', () => resolve(proxy));
      });
    let proxy = await startProxy(0);
    const proxyPort = (proxy.address() as AddressInfo).port;
    t.after(() => {
      proxy.close();
      for (const s of sockets) s.destroy();
    });
    const accepted = nextEvent<[MediaLink]>(server, 'link');
    const client = await connectLink({
      host: '127.0.0.1',
      port: proxyPort,
      localNodeId: 'node-a',
      remoteNodeId: 'node-b',
      secret: SECRET,
      reconnect: { initialDelayMs: 20, maxDelayMs: 100 },
    });
    closeAfter(t, client);
    const [serverLink] = await accepted;
    client.announceStream('cam');

    // Outage: the proxy stops listening and cuts every connection.
    const proxyClosed = new Promise((r) => proxy.close(r));
    const disconnected = nextEvent(client, 'disconnect');
    for (const s of sockets) s.destroy();
    await disconnected;
    await proxyClosed;
    await new Promise((r) => setTimeout(r, 400)); // several refused attempts
    assert.equal(client.state, 'disconnected');
    assert.equal(client.sendFrame('cam', frame(1)), false, 'frames are dropped while down');

    const reopened = nextEvent<[{ resumed: boolean }]>(client, 'open');
    proxy = await startProxy(proxyPort);
    assert.deepEqual(await reopened, [{ resumed: true }]);
    await waitFor(() => serverLink.isOpen, 2_000, 'server side resumed');
    assert.equal(server.activeLinks.length, 1);
    const got = nextEvent<[string, MediaFrame]>(serverLink, 'frame');
    assert.equal(client.sendFrame('cam', frame(2, true)), true);
    assert.equal((await got)[0], 'cam');
  });
});
