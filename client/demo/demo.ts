/**
 * The demo page: get a token, join a room, publish the camera, list and watch remote
 * streams, chat, leave. Plain DOM. The token comes from the development-only endpoint
 * POST /dev/token {room?, user, role} → {token, room} on the page's own origin (override with
 * ?tokenUrl=...), until rooms and tokens are provisioned through the portal's REST flow.
 */
import {
  ConferenceClient,
  type Publication,
  type PublishOptions,
  type RemoteStream,
  type Subscription,
} from '../src/index.js';

function element<T extends HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (!found) throw new Error(`demo page lacks #${id}`);
  return found as T;
}

const ui = {
  status: element<HTMLSpanElement>('status'),
  user: element<HTMLInputElement>('user'),
  room: element<HTMLInputElement>('room'),
  role: element<HTMLSelectElement>('role'),
  join: element<HTMLButtonElement>('join'),
  leave: element<HTMLButtonElement>('leave'),
  roomLink: element<HTMLParagraphElement>('room-link'),
  codec: element<HTMLSelectElement>('codec'),
  simulcast: element<HTMLInputElement>('simulcast'),
  mix: element<HTMLInputElement>('mix'),
  publish: element<HTMLButtonElement>('publish'),
  unpublish: element<HTMLButtonElement>('unpublish'),
  mute: element<HTMLButtonElement>('mute'),
  participants: element<HTMLUListElement>('participants'),
  streams: element<HTMLUListElement>('streams'),
  chatLog: element<HTMLDivElement>('chat-log'),
  chatText: element<HTMLInputElement>('chat-text'),
  chatSend: element<HTMLButtonElement>('chat-send'),
  videos: element<HTMLDivElement>('videos'),
  log: element<HTMLDivElement>('log'),
};

const params = new URLSearchParams(location.search);
ui.room.value = params.get('room') ?? '';
const tokenUrl = params.get('tokenUrl') ?? '/dev/token';

let client: ConferenceClient | undefined;
let selfId = '';
let publication: Publication | undefined;
let localStream: MediaStream | undefined;
let muted = false;
const subscriptions = new Map<string, Subscription>();

function log(text: string): void {
  const line = `${new Date().toLocaleTimeString()} ${text}\n`;
  ui.log.textContent += line;
  ui.log.scrollTop = ui.log.scrollHeight;
}

function setJoined(joined: boolean): void {
  ui.join.disabled = joined;
  ui.leave.disabled = !joined;
  ui.publish.disabled = !joined;
  ui.chatSend.disabled = !joined;
  ui.user.disabled = joined;
  ui.room.disabled = joined;
  ui.role.disabled = joined;
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

async function fetchToken(
  room: string,
  user: string,
  role: string,
): Promise<{ token: string; room: string }> {
  const body: Record<string, string> = { user, role };
  if (room) body.room = room;
  const response = await fetch(tokenUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`token request failed: HTTP ${response.status} ${await response.text()}`);
  const answer: unknown = await response.json();
  if (typeof answer !== 'object' || answer === null) throw new Error('token answer is not an object');
  const { token, room: roomId } = answer as { token?: unknown; room?: unknown };
  if (typeof token !== 'string' || typeof roomId !== 'string')
    throw new Error('token answer lacks token or room');
  return { token, room: roomId };
}

function renderParticipants(): void {
  ui.participants.replaceChildren(
    ...(client?.participants ?? []).map((p) => {
      const li = document.createElement('li');
      li.textContent = `${p.user} (${p.role})${p.id === selfId ? ' — you' : ''}`;
      return li;
    }),
  );
}

function renderStreams(): void {
  ui.streams.replaceChildren(
    ...(client?.remoteStreams ?? []).map((stream) => {
      const li = document.createElement('li');
      const owner = client?.participants.find((p) => p.id === stream.origin);
      const kinds = [stream.hasAudio ? 'audio' : '', stream.hasVideo ? 'video' : '']
        .filter(Boolean)
        .join('+');
      const layers = stream.layers.length > 0 ? `, ${stream.layers.length} layers` : '';
      li.textContent = `${stream.type} ${kinds}${layers} from ${stream.origin === selfId ? 'you' : (owner?.user ?? stream.origin)}`;
      const watching = subscriptions.get(stream.id);
      const button = document.createElement('button');
      button.type = 'button';
      button.textContent = watching ? 'Stop' : 'Watch';
      button.addEventListener('click', () => void (watching ? stopWatching(stream.id) : watch(stream)));
      li.append(button);
      return li;
    }),
  );
}

function addVideo(id: string, caption: string, stream: MediaStream, mutedAudio: boolean): void {
  const figure = document.createElement('figure');
  figure.id = `video-${id}`;
  const video = document.createElement('video');
  video.autoplay = true;
  video.playsInline = true;
  video.muted = mutedAudio;
  video.srcObject = stream;
  const label = document.createElement('figcaption');
  label.textContent = caption;
  figure.append(video, label);
  ui.videos.append(figure);
}

function removeVideo(id: string): void {
  document.getElementById(`video-${id}`)?.remove();
}

async function watch(stream: RemoteStream): Promise<void> {
  if (!client) return;
  try {
    log(`subscribing to ${stream.id}`);
    const subscription = await client.subscribe(stream);
    subscriptions.set(stream.id, subscription);
    subscription.on('ended', () => {
      subscriptions.delete(stream.id);
      removeVideo(`sub-${stream.id}`);
      renderStreams();
    });
    if (subscription.stream) addVideo(`sub-${stream.id}`, `stream ${stream.id}`, subscription.stream, false);
    log(`watching ${stream.id}`);
  } catch (error) {
    log(`subscribe failed: ${describe(error)}`);
  }
  renderStreams();
}

async function stopWatching(streamId: string): Promise<void> {
  await subscriptions.get(streamId)?.stop();
}

async function join(): Promise<void> {
  ui.join.disabled = true;
  try {
    const { token, room } = await fetchToken(
      ui.room.value.trim(),
      ui.user.value.trim() || 'guest',
      ui.role.value,
    );
    const joining = new ConferenceClient();
    joining.on('participantjoined', ({ participant }) => {
      log(`${participant.user} joined`);
      renderParticipants();
    });
    joining.on('participantleft', ({ participant }) => {
      log(`${participant.user} left`);
      renderParticipants();
    });
    joining.on('streamadded', ({ stream }) => {
      log(`stream ${stream.id} added`);
      renderStreams();
    });
    joining.on('streamremoved', ({ stream }) => {
      log(`stream ${stream.id} removed`);
      renderStreams();
    });
    joining.on('messagereceived', ({ message, origin }) => {
      const from = joining.participants.find((p) => p.id === origin)?.user ?? origin;
      const line = document.createElement('div');
      line.textContent = `${from}: ${message}`;
      ui.chatLog.append(line);
    });
    joining.on('reconnecting', ({ reason }) => {
      ui.status.textContent = 'reconnecting…';
      log(`connection lost (${reason}), reconnecting`);
    });
    joining.on('reconnected', ({ replayed }) => {
      ui.status.textContent = `in room ${room}`;
      log(`reconnected, ${replayed} missed events replayed`);
    });
    joining.on('serverdisconnected', ({ reason }) => {
      log(`disconnected: ${reason}`);
      reset();
    });
    const info = await joining.join(token);
    client = joining;
    selfId = info.self.id;
    ui.status.textContent = `in room ${room} as ${info.self.user} (${info.self.role})`;
    ui.room.value = room;
    const link = new URL(location.href);
    link.searchParams.set('room', room);
    ui.roomLink.textContent = `Invite: ${link.toString()}`;
    ui.roomLink.classList.remove('hidden');
    history.replaceState(null, '', link);
    setJoined(true);
    renderParticipants();
    renderStreams();
    log(`joined room ${room}`);
  } catch (error) {
    log(`join failed: ${describe(error)}`);
    ui.join.disabled = false;
  }
}

async function publishCamera(): Promise<void> {
  if (!client) return;
  ui.publish.disabled = true;
  try {
    localStream = await navigator.mediaDevices.getUserMedia({
      audio: true,
      video: { width: 640, height: 480 },
    });
    const video: NonNullable<Exclude<PublishOptions['video'], false>> = {};
    if (ui.codec.value) video.codecs = [ui.codec.value];
    if (ui.simulcast.checked) {
      video.simulcast = [
        { rid: 'q', scaleResolutionDownBy: 4 },
        { rid: 'h', scaleResolutionDownBy: 2 },
        { rid: 'f', scaleResolutionDownBy: 1 },
      ];
    }
    addVideo('local', 'you (local)', localStream, true);
    publication = await client.publish(localStream, { video, attributes: { demo: true } });
    publication.on('ended', () => {
      log('publication ended');
      stopLocal();
    });
    ui.unpublish.disabled = false;
    ui.mute.disabled = false;
    log(`publishing as stream ${publication.id}`);
    const views = client.info?.views ?? [];
    if (ui.mix.checked && views.length > 0) {
      // Mixing is the application's choice in OWT (its samples mix every publication).
      await publication.mix(views).then(
        () => log(`mixed into ${views.join(', ')}`),
        (error: unknown) => log(`mix failed: ${describe(error)}`),
      );
    }
  } catch (error) {
    log(`publish failed: ${describe(error)}`);
    stopLocal();
  }
}

function stopLocal(): void {
  for (const track of localStream?.getTracks() ?? []) track.stop();
  localStream = undefined;
  publication = undefined;
  muted = false;
  ui.mute.textContent = 'Mute';
  removeVideo('local');
  ui.publish.disabled = !client;
  ui.unpublish.disabled = true;
  ui.mute.disabled = true;
}

async function toggleMute(): Promise<void> {
  if (!publication) return;
  try {
    if (muted) await publication.unmute();
    else await publication.mute();
    muted = !muted;
    ui.mute.textContent = muted ? 'Unmute' : 'Mute';
  } catch (error) {
    log(`mute failed: ${describe(error)}`);
  }
}

async function sendChat(): Promise<void> {
  const text = ui.chatText.value.trim();
  if (!client || !text) return;
  ui.chatText.value = '';
  await client.send(text).catch((error: unknown) => log(`send failed: ${describe(error)}`));
}

function reset(): void {
  client = undefined;
  stopLocal();
  for (const id of subscriptions.keys()) removeVideo(`sub-${id}`);
  subscriptions.clear();
  ui.videos.replaceChildren();
  ui.participants.replaceChildren();
  ui.streams.replaceChildren();
  ui.roomLink.classList.add('hidden');
  ui.status.textContent = 'not joined';
  setJoined(false);
}

async function leave(): Promise<void> {
  const leaving = client;
  reset();
  await leaving?.leave();
  log('left the room');
}

ui.join.addEventListener('click', () => void join());
ui.leave.addEventListener('click', () => void leave());
ui.publish.addEventListener('click', () => void publishCamera());
ui.unpublish.addEventListener('click', () => void publication?.stop());
ui.mute.addEventListener('click', () => void toggleMute());
ui.chatSend.addEventListener('click', () => void sendChat());
ui.chatText.addEventListener('keydown', (event) => {
  if (event.key === 'Enter') void sendChat();
});
window.addEventListener('beforeunload', () => void client?.leave());
log('ready: pick a name and join a room');
