import type { Purpose } from './protocol.js';

export interface TaskAssignment {
  readonly purpose: Purpose;
  readonly taskId: string;
  workerId: string;
  /** Picked up: the worker runs it; kept until laid down or unscheduled. */
  held: boolean;
  /** When a reserved (not held) task is forgotten. */
  expiresAt: number | undefined;
  /** Reserve time of this task (the schedule call's, or the configured default). */
  reserveTimeMs: number;
}

const keyOf = (purpose: Purpose, taskId: string): string => `${purpose}\n${taskId}`;

const isExpired = (a: TaskAssignment, now: number): boolean =>
  !a.held && a.expiresAt !== undefined && a.expiresAt <= now;

/** Which worker each task is on; a task belongs to at most one worker. */
export class TaskAssignments {
  private readonly byKey = new Map<string, TaskAssignment>();
  private readonly byWorker = new Map<string, Set<string>>();

  /** The task's assignment; one whose reservation is over at `now` is forgotten first. */
  get(purpose: Purpose, taskId: string, now?: number): TaskAssignment | undefined {
    const assignment = this.byKey.get(keyOf(purpose, taskId));
    if (assignment && now !== undefined && isExpired(assignment, now)) {
      this.remove(purpose, taskId);
      return undefined;
    }
    return assignment;
  }

  /** Puts the task on the worker, moving it off any other worker. */
  assign(
    purpose: Purpose,
    taskId: string,
    workerId: string,
    fields: Pick<TaskAssignment, 'held' | 'expiresAt' | 'reserveTimeMs'>,
  ): TaskAssignment {
    const key = keyOf(purpose, taskId);
    const existing = this.byKey.get(key);
    if (existing && existing.workerId !== workerId) this.unindex(existing.workerId, key);
    const assignment: TaskAssignment = { purpose, taskId, workerId, ...fields };
    this.byKey.set(key, assignment);
    let keys = this.byWorker.get(workerId);
    if (!keys) {
      keys = new Set();
      this.byWorker.set(workerId, keys);
    }
    keys.add(key);
    return assignment;
  }

  remove(purpose: Purpose, taskId: string): TaskAssignment | undefined {
    const key = keyOf(purpose, taskId);
    const existing = this.byKey.get(key);
    if (!existing) return undefined;
    this.byKey.delete(key);
    this.unindex(existing.workerId, key);
    return existing;
  }

  /** The worker's tasks; with `now`, those whose reservation is over are left out. */
  of(workerId: string, now?: number): TaskAssignment[] {
    const keys = this.byWorker.get(workerId);
    if (!keys) return [];
    return [...keys]
      .map((k) => this.byKey.get(k))
      .filter((a): a is TaskAssignment => a !== undefined && (now === undefined || !isExpired(a, now)));
  }

  /** Forgets every task of the worker; returns their ids. */
  removeWorker(workerId: string): string[] {
    const tasks = this.of(workerId);
    for (const a of tasks) this.byKey.delete(keyOf(a.purpose, a.taskId));
    this.byWorker.delete(workerId);
    return tasks.map((a) => a.taskId);
  }

  /** Forgets reserved tasks whose reserve time is over. */
  expire(now: number): TaskAssignment[] {
    const expired: TaskAssignment[] = [];
    for (const a of this.byKey.values()) {
      if (isExpired(a, now)) expired.push(a);
    }
    for (const a of expired) this.remove(a.purpose, a.taskId);
    return expired;
  }

  clear(): void {
    this.byKey.clear();
    this.byWorker.clear();
  }

  private unindex(workerId: string, key: string): void {
    const keys = this.byWorker.get(workerId);
    if (!keys) return;
    keys.delete(key);
    if (keys.size === 0) this.byWorker.delete(workerId);
  }
}
