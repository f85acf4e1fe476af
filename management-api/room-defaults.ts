/** OWT's defaults for a new room (data_access/defaults.js of owt-server), as plain data. */

export const DEFAULT_AUDIO_IN = [
  { codec: 'opus', sampleRate: 48000, channelNum: 2 },
  { codec: 'isac', sampleRate: 16000 },
  { codec: 'isac', sampleRate: 32000 },
  { codec: 'g722', sampleRate: 16000, channelNum: 1 },
  { codec: 'pcma' },
  { codec: 'pcmu' },
  { codec: 'aac' },
  { codec: 'ac3' },
  { codec: 'nellymoser' },
  { codec: 'ilbc' },
];

export const DEFAULT_AUDIO_OUT = [
  { codec: 'opus', sampleRate: 48000, channelNum: 2 },
  { codec: 'isac', sampleRate: 16000 },
  { codec: 'isac', sampleRate: 32000 },
  { codec: 'g722', sampleRate: 16000, channelNum: 1 },
  { codec: 'pcma' },
  { codec: 'pcmu' },
  { codec: 'aac', sampleRate: 48000, channelNum: 2 },
  { codec: 'ac3' },
  { codec: 'nellymoser' },
  { codec: 'ilbc' },
];

export const DEFAULT_VIDEO_IN = [{ codec: 'h264' }, { codec: 'vp8' }, { codec: 'vp9' }];

export const DEFAULT_VIDEO_OUT = [
  { codec: 'vp8' },
  { codec: 'h264', profile: 'CB' },
  { codec: 'h264', profile: 'B' },
  { codec: 'vp9' },
];

export const DEFAULT_VIDEO_PARAMETERS = {
  resolution: ['x3/4', 'x2/3', 'x1/2', 'x1/3', 'x1/4', 'hd1080p', 'hd720p', 'svga', 'vga', 'qvga', 'cif'],
  framerate: [6, 12, 15, 24, 30, 48, 60],
  bitrate: ['x0.8', 'x0.6', 'x0.4', 'x0.2'],
  keyFrameInterval: [100, 30, 5, 2, 1],
};

const av = (audio: boolean, video: boolean) => ({ audio, video });

export const DEFAULT_ROLES = [
  { role: 'presenter', publish: av(true, true), subscribe: av(true, true) },
  { role: 'viewer', publish: av(false, false), subscribe: av(true, true) },
  { role: 'audio_only_presenter', publish: av(true, false), subscribe: av(true, false) },
  { role: 'video_only_viewer', publish: av(false, false), subscribe: av(false, true) },
  { role: 'sip', publish: av(true, true), subscribe: av(true, true) },
];
