/**
 * The cluster manager's RPC interface (served under CLUSTER_MANAGER_ID by the active
 * instance) and its monitoring events. Agents and the parts that schedule work use only
 * these types to talk to it.
 */

export const CLUSTER_MANAGER_ID = 'cluster-manager';
/** Leadership name the active/standby instances compete for. */
export const CLUSTER_MANAGER_LEADERSHIP = 'cluster-manager';
/** Monitoring topic: a worker missed its keep-alives or left with tasks; see WorkerLostEvent. */
export const WORKER_LOST_TOPIC = 'worker.lost';

export const PURPOSES = [
  'portal',
  'conference',
  'webrtc',
  'streaming',
  'recording',
  'audio',
  'video',
  'quic',
  'sip',
  'analytics',
] as const;
export type Purpose = (typeof PURPOSES)[number];

export type WorkerState = 'in-service' | 'draining';

export interface VideoCodecCapacity {
  encode: string[];
  decode: string[];
}

export interface WorkerCapacity {
  /** ISPs this worker serves; empty = any. */
  isps: string[];
  /** Regions this worker is in; empty = none declared. */
  regions: string[];
  /** Video processing workers only. */
  video?: VideoCodecCapacity;
}

export interface WorkerJoin {
  /** Worker (agent) id; also its RPC id. */
  id: string;
  purpose: Purpose;
  capacity: WorkerCapacity;
  /** Load (0..1) above which the worker gets no new tasks. */
  maxLoad: number;
  load?: number;
  state?: WorkerState;
  /** Tasks the worker holds now: lets a newly active manager rebuild its task map. */
  tasks?: string[];
  /** Free-form facts for operators (hostname, pid, version). */
  info?: Record<string, string | number>;
}

export interface JoinResult {
  keepAliveIntervalMs: number;
}

/** `unknown-worker` tells the agent to join again (e.g. after a cluster-manager failover). */
export type KeepAliveResult = 'ok' | 'unknown-worker';

export interface SchedulePreference {
  isp?: string;
  region?: string;
  /** Video workers: codecs the task needs. */
  video?: Partial<VideoCodecCapacity>;
}

export interface ScheduleResult {
  /** Worker (agent) id: call its `getNode` to obtain the node that runs the task. */
  id: string;
  purpose: Purpose;
  capacity: WorkerCapacity;
}

export interface WorkerView {
  id: string;
  purpose: Purpose;
  capacity: WorkerCapacity;
  load: number;
  maxLoad: number;
  state: WorkerState;
  tasks: string[];
  /** Milliseconds since the last keep-alive. */
  lastSeenAgoMs: number;
  info: Record<string, string | number>;
}

export interface WorkerLostEvent {
  workerId: string;
  purpose: Purpose;
  tasks: string[];
  reason: 'keep-alive-timeout' | 'left';
}

/**
 * Methods served under CLUSTER_MANAGER_ID (argument lists as sent over RPC):
 * - join(worker: WorkerJoin): JoinResult
 * - leave(workerId: string): void            (publishes worker.lost if it held tasks)
 * - keepAlive(workerId: string, load: number): KeepAliveResult
 * - reportLoad(workerId: string, load: number): void
 * - setState(workerId: string, state: WorkerState): void
 * - pickUp(workerId: string, taskId: string): void   (the worker now runs the task)
 * - layDown(workerId: string, taskId: string): void  (kept for the reserve time, then freed)
 * - schedule(purpose: Purpose, taskId: string, preference: SchedulePreference, reserveTimeMs?: number): ScheduleResult
 * - unschedule(workerId: string, taskId: string): void
 * - getScheduled(purpose: Purpose, taskId: string): string | null   (worker id)
 * - getWorkers(purpose?: Purpose): WorkerView[]
 * - getWorker(workerId: string): WorkerView       (NotFoundError when unknown)
 */
export type ClusterManagerMethod =
  | 'join'
  | 'leave'
  | 'keepAlive'
  | 'reportLoad'
  | 'setState'
  | 'pickUp'
  | 'layDown'
  | 'schedule'
  | 'unschedule'
  | 'getScheduled'
  | 'getWorkers'
  | 'getWorker';
