import { z } from 'zod';
import {
  DEFAULT_AUDIO_IN,
  DEFAULT_AUDIO_OUT,
  DEFAULT_ROLES,
  DEFAULT_VIDEO_IN,
  DEFAULT_VIDEO_OUT,
  DEFAULT_VIDEO_PARAMETERS,
} from './room-defaults.js';

/**
 * The room configuration document (OWT's room model). Parsing fills every default, so a room
 * created with only a name gets OWT's roles, one 'common' view, media in/out lists etc.
 * `.prefault({})` runs the inner defaults when a whole object is absent.
 */

/** Fraction strings OWT uses for region areas: '0', '1', '1/3', '0.25'. */
const fraction = z
  .string()
  .regex(/^(\d+(\.\d+)?|\d+\/[1-9]\d*)$/, { message: "expected a fraction string such as '1/3' or '0.5'" });

const audioFormat = z
  .object({
    codec: z.string().min(1),
    sampleRate: z.number().int().positive().optional(),
    channelNum: z.number().int().positive().optional(),
  })
  .strict();

const videoFormat = z.object({ codec: z.string().min(1), profile: z.string().optional() }).strict();

const avFlags = z.object({ audio: z.boolean(), video: z.boolean() }).strict();

export const roleSchema = z
  .object({ role: z.string().min(1), publish: avFlags, subscribe: avFlags })
  .strict();

const regionSchema = z
  .object({
    id: z.string().min(1),
    shape: z.literal('rectangle').default('rectangle'),
    area: z.object({ left: fraction, top: fraction, width: fraction, height: fraction }).strict(),
  })
  .strict();

const colorChannel = z.number().int().min(0).max(255).default(0);

const viewAudioSchema = z
  .object({
    format: audioFormat.default({ codec: 'opus', sampleRate: 48000, channelNum: 2 }),
    vad: z.boolean().default(true),
  })
  .strict();

const viewVideoSchema = z
  .object({
    format: videoFormat.default({ codec: 'h264', profile: 'CB' }),
    parameters: z
      .object({
        resolution: z
          .object({ width: z.number().int().min(16).max(7680), height: z.number().int().min(16).max(4320) })
          .strict()
          .default({ width: 640, height: 480 }),
        framerate: z.number().int().min(1).max(120).default(24),
        /** kbps; absent = chosen from resolution and framerate. */
        bitrate: z.number().int().positive().optional(),
        keyFrameInterval: z.number().int().positive().default(100),
      })
      .strict()
      .prefault({}),
    maxInput: z.number().int().min(1).max(256).default(16),
    motionFactor: z.number().positive().default(0.8),
    bgColor: z.object({ r: colorChannel, g: colorChannel, b: colorChannel }).strict().prefault({}),
    keepActiveInputPrimary: z.boolean().default(false),
    layout: z
      .object({
        fitPolicy: z.enum(['letterbox', 'crop']).default('letterbox'),
        setRegionEffect: z.string().optional(),
        templates: z
          .object({
            base: z.enum(['fluid', 'lecture', 'void']).default('fluid'),
            custom: z
              .array(z.object({ primary: z.string().optional(), region: z.array(regionSchema) }).strict())
              .default([]),
          })
          .strict()
          .prefault({}),
      })
      .strict()
      .prefault({}),
  })
  .strict();

export const viewSchema = z
  .object({
    label: z.string().min(1).default('common'),
    /** false: this view mixes no audio. */
    audio: z.union([z.literal(false), viewAudioSchema]).prefault({}),
    /** false: this view composes no video. */
    video: z.union([z.literal(false), viewVideoSchema]).prefault({}),
  })
  .strict();

const stringList = z.array(z.string().min(1));
const numberList = z.array(z.number().positive());

export const roomConfigSchema = z
  .object({
    name: z.string().min(1).max(256),
    /** Maximum published streams; -1 = no limit. */
    inputLimit: z.number().int().min(-1).default(-1),
    /** Maximum participants; -1 = no limit. */
    participantLimit: z.number().int().min(-1).default(-1),
    selectActiveAudio: z.boolean().default(false),
    enableBandwidthAdaptation: z.boolean().default(false),
    roles: z.array(roleSchema).default(DEFAULT_ROLES),
    views: z.array(viewSchema).prefault([{}]),
    mediaIn: z
      .object({
        audio: z.array(audioFormat).default(DEFAULT_AUDIO_IN),
        video: z.array(videoFormat).default(DEFAULT_VIDEO_IN),
      })
      .strict()
      .prefault({}),
    mediaOut: z
      .object({
        audio: z.array(audioFormat).default(DEFAULT_AUDIO_OUT),
        video: z
          .object({
            format: z.array(videoFormat).default(DEFAULT_VIDEO_OUT),
            parameters: z
              .object({
                resolution: stringList.default(DEFAULT_VIDEO_PARAMETERS.resolution),
                framerate: numberList.default(DEFAULT_VIDEO_PARAMETERS.framerate),
                bitrate: stringList.default(DEFAULT_VIDEO_PARAMETERS.bitrate),
                keyFrameInterval: numberList.default(DEFAULT_VIDEO_PARAMETERS.keyFrameInterval),
              })
              .strict()
              .prefault({}),
          })
          .strict()
          .prefault({}),
      })
      .strict()
      .prefault({}),
    transcoding: z
      .object({
        audio: z.boolean().default(true),
        video: z
          .object({
            format: z.boolean().default(true),
            parameters: z
              .object({
                resolution: z.boolean().default(true),
                framerate: z.boolean().default(true),
                bitrate: z.boolean().default(true),
                keyFrameInterval: z.boolean().default(true),
              })
              .strict()
              .prefault({}),
          })
          .strict()
          .prefault({}),
      })
      .strict()
      .prefault({}),
    notifying: z
      .object({
        participantActivities: z.boolean().default(true),
        streamChange: z.boolean().default(true),
      })
      .strict()
      .prefault({}),
    sip: z
      .object({ sipServer: z.string().min(1), username: z.string(), password: z.string() })
      .strict()
      .optional(),
  })
  .strict()
  .superRefine((room, ctx) => {
    reportDuplicates(
      room.roles.map((r) => r.role),
      ['roles'],
      'role',
      ctx,
    );
    reportDuplicates(
      room.views.map((v) => v.label),
      ['views'],
      'label',
      ctx,
    );
  });

function reportDuplicates(names: string[], path: string[], field: string, ctx: z.RefinementCtx): void {
  const seen = new Set<string>();
  names.forEach((name, i) => {
    if (seen.has(name))
      ctx.addIssue({ code: 'custom', path: [...path, i, field], message: `duplicate ${field} '${name}'` });
    seen.add(name);
  });
}

export type RoomConfig = z.output<typeof roomConfigSchema>;
/** What a client may send: any subset, defaults filled on parse. */
export type RoomConfigInput = z.input<typeof roomConfigSchema>;
