/** StreamInfo tracks and permissions: pure functions. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { applyPermissionPatches, permissionOfRole } from '../../conference/permissions.js';
import { parseRoomConfig } from '../../conference/room-config.js';
import { buildTracks, mediaReportSchema, resolveResolution } from '../../conference/stream-info.js';

const active = { audio: 'active', video: 'active' } as const;
const requested = [
  { type: 'audio' as const, mid: '0', source: 'mic' },
  { type: 'video' as const, mid: '1', source: 'camera' },
];

describe('stream info', () => {
  it('scales and names resolutions', () => {
    assert.deepEqual(resolveResolution('x1/2', { width: 1280, height: 720 }), { width: 640, height: 360 });
    assert.deepEqual(resolveResolution('x3/4', { width: 640, height: 480 }), { width: 480, height: 360 });
    assert.deepEqual(resolveResolution('vga', { width: 1, height: 1 }), { width: 640, height: 480 });
    assert.equal(resolveResolution('x1/0', { width: 640, height: 480 }), undefined);
    assert.equal(resolveResolution('huge', { width: 640, height: 480 }), undefined);
  });

  it('fills optional from mediaOut; all four parameter arrays even when transcoding is off', () => {
    const config = parseRoomConfig({ name: 'r' });
    const report = mediaReportSchema.parse({
      tracks: [
        { type: 'audio', mid: '0', format: { codec: 'opus', sampleRate: 48000, channelNum: 2 } },
        {
          type: 'video',
          mid: '1',
          format: { codec: 'vp8' },
          resolutions: { '': { width: 1280, height: 720 } },
        },
      ],
    });
    const [audio, video] = buildTracks('s', requested, report, config, active);
    assert.equal(audio?.id, 's-0');
    assert.ok(
      audio?.optional?.format.length &&
        !audio.optional.format.some(
          (f) => f.codec === 'opus' && f.sampleRate === 48000 && f.channelNum === 2,
        ),
    );
    assert.equal(audio?.optional?.parameters, undefined);
    assert.equal(video?.id, 's-1');
    const p = video?.optional?.parameters;
    assert.ok(p);
    assert.ok(
      p.resolution.some((r) => r.width === 640 && r.height === 360),
      'x1/2 of 720p',
    );
    assert.ok(p.resolution.every((r) => r.width < 1280 && r.height < 720));
    assert.deepEqual(p.framerate, [6, 12, 15, 24], 'below the default 30');
    assert.deepEqual(p.bitrate, ['x0.8', 'x0.6', 'x0.4', 'x0.2']);

    const noTranscoding = parseRoomConfig({
      name: 'r',
      transcoding: {
        audio: false,
        video: {
          format: false,
          parameters: { resolution: false, framerate: false, bitrate: false, keyFrameInterval: false },
        },
      },
    });
    const [, plain] = buildTracks('s', requested, report, noTranscoding, active);
    assert.deepEqual(plain?.optional, {
      format: [],
      parameters: { resolution: [], framerate: [], bitrate: [], keyFrameInterval: [] },
    });
  });

  it('one track per rid for simulcast; unknown formats until reported; unreported mids dropped', () => {
    const config = parseRoomConfig({ name: 'r' });
    const sim = mediaReportSchema.parse({
      tracks: [
        {
          type: 'video',
          mid: '1',
          format: { codec: 'vp8' },
          rids: ['l', 'h'],
          resolutions: { h: { width: 1280, height: 720 } },
        },
      ],
    });
    const tracks = buildTracks('s', requested, sim, config, active);
    assert.deepEqual(
      tracks.map((t) => [t.id, t.type, t.rid, t.parameters?.resolution?.width]),
      [
        ['s-1-l', 'video', 'l', undefined],
        ['s-1-h', 'video', 'h', 1280],
      ],
    );
    const pending = buildTracks('s', requested, undefined, config, { audio: 'active', video: 'inactive' });
    assert.deepEqual(
      pending.map((t) => [t.format.codec, t.status]),
      [
        ['unknown', 'active'],
        ['unknown', 'inactive'],
      ],
    );
    // Junk in a report field is ignored, not fatal.
    const junk = mediaReportSchema.parse({
      tracks: [{ type: 'audio', mid: '0', format: { codec: 'opus', sampleRate: 'x' }, rids: 7 }],
    });
    assert.deepEqual(junk.tracks[0]?.format, { codec: 'opus', sampleRate: undefined });
  });
});

describe('permissions', () => {
  it('come from the role and take patches all or nothing', () => {
    const config = parseRoomConfig({ name: 'r' });
    const viewer = permissionOfRole(config, 'viewer');
    assert.deepEqual(viewer, {
      publish: { audio: false, video: false },
      subscribe: { audio: true, video: true },
    });
    assert.equal(permissionOfRole(config, 'nobody'), undefined);
    if (!viewer) return;
    assert.deepEqual(
      applyPermissionPatches(viewer, [
        { op: 'replace', path: '/permission/publish', value: true },
        { op: 'replace', path: '/permission/subscribe/video', value: false },
      ]),
      { publish: { audio: true, video: true }, subscribe: { audio: true, video: false } },
    );
    assert.deepEqual(
      applyPermissionPatches(viewer, [
        { op: 'replace', path: '/permission/subscribe', value: false },
        { op: 'replace', path: '/permission/subscribe/audio', value: true },
      ]).subscribe,
      { audio: true, video: false },
    );
    assert.throws(
      () => applyPermissionPatches(viewer, [{ op: 'replace', path: '/permission/text', value: 1 }]),
      {
        name: 'ValidationError',
      },
    );
    assert.throws(() => applyPermissionPatches(viewer, []), { name: 'ValidationError' });
  });
});
