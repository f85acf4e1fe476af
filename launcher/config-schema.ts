import { z } from 'zod';
import { audioSchema } from '../agents/audio/audio-config.js';
import { agentSchema } from '../agents/config.js';
import { recordingSchema } from '../agents/recording/recording-config.js';
import { streamingSchema } from '../agents/streaming/streaming-config.js';
import { videoSchema } from '../agents/video/video-config.js';
import { webrtcSchema } from '../agents/webrtc/webrtc-config.js';
import { clusterManagerSchema } from '../cluster-manager/config.js';
import { PURPOSES } from '../cluster-manager/protocol.js';
import { clusterSchema, logSchema, rpcSchema } from '../common/config/base-schema.js';
import { storeSchema } from '../common/store/store-config.js';
import { managementApiSchema } from '../management-api/config.js';
import { portalSchema } from '../portal/config.js';
import { demoSchema } from './demo-server.js';

/** An agent's section: `[agents.<purpose>]`; the purpose comes from the key. */
export const agentSectionSchema = agentSchema.omit({ purpose: true });

const agentsSchema = z
  .object(
    Object.fromEntries(PURPOSES.map((p) => [p, agentSectionSchema.optional()])) as Record<
      (typeof PURPOSES)[number],
      z.ZodOptional<typeof agentSectionSchema>
    >,
  )
  .strict();

/** The whole configuration file; every process reads the sections it needs. */
export const mediaspreadConfigSchema = z
  .object({
    log: logSchema.prefault({}),
    rpc: rpcSchema.prefault({}),
    cluster: clusterSchema.prefault({}),
    store: storeSchema.prefault({}),
    clusterManager: clusterManagerSchema.prefault({}),
    managementApi: managementApiSchema.prefault({}),
    portal: portalSchema.prefault({}),
    agents: agentsSchema.prefault({}),
    demo: demoSchema.prefault({}),
    webrtc: webrtcSchema.prefault({}),
    streaming: streamingSchema.prefault({}),
    recording: recordingSchema.prefault({}),
    audio: audioSchema.prefault({}),
    video: videoSchema.prefault({}),
  })
  .strict();

export type MediaspreadConfig = z.output<typeof mediaspreadConfigSchema>;
