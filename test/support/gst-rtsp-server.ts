import { type ChildProcess, spawn } from 'node:child_process';

/**
 * A real RTSP server for tests: GStreamer's gst-rtsp-server (Debian
 * `gir1.2-gst-rtsp-server-1.0`, `python3-gi`, `gstreamer1.0-plugins-{base,good,ugly}`,
 * `gstreamer1.0-libav`, `gstreamer1.0-plugins-bad` for x265) in a small Python process on a loopback port. Each mount serves a live
 * test pattern the way an IP camera does (one shared pipeline per mount, RTP over UDP or
 * interleaved in the RTSP TCP connection, whichever the client asks for).
 */
export interface GstRtspServer {
  port: number;
  pid: number;
  /** rtsp://127.0.0.1:port/path */
  url(path: string): string;
  /** SIGKILL (an abrupt loss: no TEARDOWN, sockets reset); resolves when gone. */
  kill(): Promise<void>;
  /** SIGSTOP: connections stay open but nothing is sent or answered (a hung camera or path). */
  freeze(): void;
  /** SIGCONT after freeze. */
  thaw(): void;
  /** Starts it again on the same port with the same mounts (after kill/stop). */
  restart(): Promise<void>;
  /** SIGTERM, SIGKILL after 3 s; resolves when gone. */
  stop(): Promise<void>;
  log(): string;
}

const VIDEO_RAW = 'videotestsrc is-live=true ! video/x-raw,width=320,height=240,framerate=25/1';
const AUDIO_RAW = 'audiotestsrc is-live=true wave=sine freq=440 ! audioconvert ! audioresample';

/** gst-launch descriptions of the payloaders the server offers (pay0, pay1 = RTSP streams). */
export const RTSP_MOUNTS = {
  /** What most IP cameras send: H.264 (1 s GOP) + AAC. */
  '/h264-aac':
    `${VIDEO_RAW} ! x264enc tune=zerolatency speed-preset=ultrafast key-int-max=25 ! ` +
    `rtph264pay name=pay0 pt=96 config-interval=1 ` +
    `${AUDIO_RAW} ! audio/x-raw,rate=44100,channels=1 ! avenc_aac ! rtpmp4gpay name=pay1 pt=97`,
  /** An HD camera over a 3 Mbit/s link: keyframes of tens of kB (many RTP packets at once). */
  '/h264-720p':
    'videotestsrc is-live=true pattern=smpte ! video/x-raw,width=1280,height=720,framerate=25/1 ! ' +
    'x264enc tune=zerolatency speed-preset=ultrafast key-int-max=25 bitrate=3000 ! ' +
    'rtph264pay name=pay0 pt=96 config-interval=1',
  /** Newer cameras: H.265 + AAC (H.265 does not fit a room: transcoded to H.264). */
  '/h265-aac':
    `${VIDEO_RAW} ! x265enc tune=zerolatency speed-preset=ultrafast key-int-max=25 ! ` +
    `rtph265pay name=pay0 pt=96 config-interval=1 ` +
    `${AUDIO_RAW} ! audio/x-raw,rate=44100,channels=1 ! avenc_aac ! rtpmp4gpay name=pay1 pt=97`,
  /** Older cameras: Motion JPEG + G.711 A-law (neither fits a room: both transcoded). */
  '/mjpeg-pcma':
    `${VIDEO_RAW},format=I420 ! jpegenc quality=60 ! rtpjpegpay name=pay0 pt=26 ` +
    `${AUDIO_RAW} ! audio/x-raw,rate=8000,channels=1 ! alawenc ! rtppcmapay name=pay1 pt=8`,
  /** WebRTC-style codecs: VP8 + Opus (both copied). */
  '/vp8-opus':
    `${VIDEO_RAW} ! vp8enc deadline=1 cpu-used=8 keyframe-max-dist=25 ! rtpvp8pay name=pay0 pt=96 ` +
    `${AUDIO_RAW} ! audio/x-raw,rate=48000,channels=2 ! opusenc ! rtpopuspay name=pay1 pt=97`,
} as const;

export type RtspMount = keyof typeof RTSP_MOUNTS;

/** The server itself: mounts from argv (JSON), "listening <port>" on stdout once bound. */
const SERVER_PY = `
import json, signal, sys
import gi
gi.require_version('Gst', '1.0')
gi.require_version('GstRtspServer', '1.0')
from gi.repository import GLib, Gst, GstRtspServer

Gst.init(None)
config = json.loads(sys.argv[1])
server = GstRtspServer.RTSPServer()
server.set_address('127.0.0.1')
server.set_service(str(config['port']))
credentials = config.get('credentials')
if credentials:
    # Basic auth, as cameras do: only this user may DESCRIBE/PLAY.
    auth = GstRtspServer.RTSPAuth()
    token = GstRtspServer.RTSPToken()
    token.set_string('media.factory.role', 'viewer')
    auth.add_basic(GstRtspServer.RTSPAuth.make_basic(credentials['user'], credentials['password']), token)
    server.set_auth(auth)
mounts = server.get_mount_points()
for path, launch in config['mounts'].items():
    factory = GstRtspServer.RTSPMediaFactory()
    factory.set_launch('( ' + launch + ' )')
    factory.set_shared(True)
    if credentials:
        permissions = GstRtspServer.RTSPPermissions()
        permissions.add_permission_for_role('viewer', 'media.factory.access', True)
        permissions.add_permission_for_role('viewer', 'media.factory.construct', True)
        factory.set_permissions(permissions)
    mounts.add_factory(path, factory)
if server.attach(None) == 0:
    sys.exit('cannot listen on port %s' % config['port'])
print('listening %d' % server.get_bound_port(), flush=True)
loop = GLib.MainLoop()
GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signal.SIGTERM, loop.quit)
loop.run()
`;

/** Debian's Python: the one python3-gi is installed for (a pyenv python3 first on PATH lacks it). */
const PYTHON = '/usr/bin/python3';

interface Launched {
  child: ChildProcess;
  port: number;
  exited: Promise<void>;
}

interface ServerConfig {
  port: number;
  mounts: Record<string, string>;
  credentials?: { user: string; password: string };
}

async function launch(config: ServerConfig, logs: string[]): Promise<Launched> {
  const child = spawn(PYTHON, ['-c', SERVER_PY, JSON.stringify(config)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.stderr?.on('data', (d: Buffer) => logs.push(d.toString()));
  let stdout = '';
  try {
    const bound = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('gst-rtsp-server not listening within 10 s')), 10_000);
      child.stdout?.on('data', (d: Buffer) => {
        stdout += d.toString();
        const m = /listening (\d+)/.exec(stdout);
        if (m) {
          clearTimeout(timer);
          resolve(Number(m[1]));
        }
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`gst-rtsp-server exited at start (${code ?? signal}): ${logs.join('')}`));
      });
    });
    return { child, port: bound, exited };
  } catch (err) {
    child.kill('SIGKILL');
    await exited;
    throw err;
  }
}

async function terminate(server: Launched | undefined, signal: NodeJS.Signals): Promise<void> {
  if (!server) return;
  const { child, exited } = server;
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGCONT'); // a frozen server would not act on SIGTERM
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
  await exited;
  clearTimeout(timer);
}

/**
 * Starts the server with `mounts` (default: all of RTSP_MOUNTS) on a free port (or `port`);
 * with `credentials`, every mount asks for them (RTSP basic auth).
 */
export async function startGstRtspServer(
  mounts: Record<string, string> = RTSP_MOUNTS,
  options: { port?: number; credentials?: { user: string; password: string } } = {},
): Promise<GstRtspServer> {
  const logs: string[] = [];
  const config = (port: number): ServerConfig => ({ port, mounts, credentials: options.credentials });
  // Port 0: the server binds a free port itself (no race with another test picking it).
  let current: Launched | undefined = await launch(config(options.port ?? 0), logs);
  const port = current.port;
  return {
    port,
    get pid() {
      return current?.child.pid ?? -1;
    },
    url: (path) => `rtsp://127.0.0.1:${port}${path}`,
    freeze: () => {
      current?.child.kill('SIGSTOP');
    },
    thaw: () => {
      current?.child.kill('SIGCONT');
    },
    kill: async () => {
      await terminate(current, 'SIGKILL');
      current = undefined;
    },
    restart: async () => {
      await terminate(current, 'SIGTERM');
      current = undefined;
      current = await launch(config(port), logs);
    },
    stop: async () => {
      await terminate(current, 'SIGTERM');
      current = undefined;
    },
    log: () => logs.join(''),
  };
}
