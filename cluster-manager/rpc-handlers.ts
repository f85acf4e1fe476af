import { z } from 'zod';
import type { RpcHandler } from '../common/rpc/rpc-bus.js';
import type { ClusterManagerMethod } from './protocol.js';
import type { Scheduler } from './scheduler.js';
import {
  loadSchema,
  parseArgs,
  purposeSchema,
  reserveTimeSchema,
  schedulePreferenceSchema,
  taskIdSchema,
  workerIdSchema,
  workerJoinSchema,
  workerStateSchema,
} from './wire-schemas.js';

const argSchemas = {
  join: z.tuple([workerJoinSchema]),
  leave: z.tuple([workerIdSchema]),
  keepAlive: z.tuple([workerIdSchema, loadSchema]),
  reportLoad: z.tuple([workerIdSchema, loadSchema]),
  setState: z.tuple([workerIdSchema, workerStateSchema]),
  pickUp: z.tuple([workerIdSchema, taskIdSchema]),
  layDown: z.tuple([workerIdSchema, taskIdSchema]),
  // Preference may be omitted or null (no preference); reserve time may be omitted or null.
  schedule: z.tuple([
    purposeSchema,
    taskIdSchema,
    schedulePreferenceSchema.nullish(),
    reserveTimeSchema.nullish(),
  ]),
  unschedule: z.tuple([workerIdSchema, taskIdSchema]),
  getScheduled: z.tuple([purposeSchema, taskIdSchema]),
  getWorkers: z.tuple([purposeSchema.nullish()]),
  getWorker: z.tuple([workerIdSchema]),
} satisfies Record<ClusterManagerMethod, z.ZodType>;

export interface HandlerHooks {
  /**
   * Awaited before scheduling (or answering getScheduled for) a task the scheduler does not
   * know yet: the service uses it to wait for agents to re-join after a failover.
   */
  beforeNewTask?: () => Promise<void>;
}

/**
 * The RPC methods of cluster-manager/protocol.ts over a Scheduler. Every argument list is
 * validated; a bad one is rejected with ValidationError before touching any state.
 */
export function createClusterManagerHandlers(
  scheduler: Scheduler,
  hooks: HandlerHooks = {},
): Record<ClusterManagerMethod, RpcHandler> {
  return {
    join: (...args: unknown[]) => {
      const [worker] = parseArgs('join', argSchemas.join, args);
      return scheduler.join(worker);
    },
    leave: (...args: unknown[]) => {
      const [workerId] = parseArgs('leave', argSchemas.leave, args);
      // The scheduler emits worker-lost when the worker held tasks; the service publishes it.
      scheduler.leave(workerId);
    },
    keepAlive: (...args: unknown[]) => {
      const [workerId, load] = parseArgs('keepAlive', argSchemas.keepAlive, args);
      return scheduler.keepAlive(workerId, load);
    },
    reportLoad: (...args: unknown[]) => {
      const [workerId, load] = parseArgs('reportLoad', argSchemas.reportLoad, args);
      scheduler.reportLoad(workerId, load);
    },
    setState: (...args: unknown[]) => {
      const [workerId, state] = parseArgs('setState', argSchemas.setState, args);
      scheduler.setState(workerId, state);
    },
    pickUp: (...args: unknown[]) => {
      const [workerId, taskId] = parseArgs('pickUp', argSchemas.pickUp, args);
      scheduler.pickUp(workerId, taskId);
    },
    layDown: (...args: unknown[]) => {
      const [workerId, taskId] = parseArgs('layDown', argSchemas.layDown, args);
      scheduler.layDown(workerId, taskId);
    },
    schedule: async (...args: unknown[]) => {
      const [purpose, taskId, preference, reserveTimeMs] = parseArgs('schedule', argSchemas.schedule, args);
      if (hooks.beforeNewTask && !scheduler.isAssigned(purpose, taskId)) await hooks.beforeNewTask();
      return scheduler.schedule(purpose, taskId, preference ?? {}, reserveTimeMs ?? undefined);
    },
    unschedule: (...args: unknown[]) => {
      const [workerId, taskId] = parseArgs('unschedule', argSchemas.unschedule, args);
      scheduler.unschedule(workerId, taskId);
    },
    getScheduled: async (...args: unknown[]) => {
      const [purpose, taskId] = parseArgs('getScheduled', argSchemas.getScheduled, args);
      const found = scheduler.getScheduled(purpose, taskId);
      if (found !== null || !hooks.beforeNewTask) return found;
      await hooks.beforeNewTask();
      return scheduler.getScheduled(purpose, taskId);
    },
    getWorkers: (...args: unknown[]) => {
      // Called with no argument at all is fine too.
      const [purpose] = parseArgs(
        'getWorkers',
        argSchemas.getWorkers,
        args.length === 0 ? [undefined] : args,
      );
      return scheduler.getWorkers(purpose ?? undefined);
    },
    getWorker: (...args: unknown[]) => {
      const [workerId] = parseArgs('getWorker', argSchemas.getWorker, args);
      return scheduler.getWorker(workerId);
    },
  };
}
