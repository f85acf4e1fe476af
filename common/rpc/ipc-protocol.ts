import { z } from 'zod';
import type { CallOutcome } from './call-outcome.js';

/**
 * Messages between a parent's LocalBus and a forked child's IpcBus over Node's IPC channel
 * (JSON serialization). Every message carries `rpc: 1` so that other traffic on the same
 * channel is left alone. Request ids are chosen by the side that sends the request and
 * echoed in the answer.
 */

const wireErrorSchema = z.object({
  name: z.string(),
  message: z.string(),
  code: z.string(),
  data: z.unknown().optional(),
});

const outcomeSchema = z.union([
  z.object({ ok: z.literal(true), result: z.unknown().optional() }),
  z.object({ ok: z.literal(false), error: wireErrorSchema }),
]);

const id = z.number().int().nonnegative();
const name = z.string().min(1);
const args = z.array(z.unknown());

/** Both directions: invoke a method on an id served by the other side (or routed by it). */
const callMessage = z.object({
  rpc: z.literal(1),
  t: z.literal('call'),
  id,
  target: name,
  method: z.string(),
  args,
  timeoutMs: z.number().positive(),
});
const castMessage = z.object({
  rpc: z.literal(1),
  t: z.literal('cast'),
  target: name,
  method: z.string(),
  args,
});
/** Both directions: the answer to a `call` or, parent to child, to a control request. */
const replyMessage = z.object({ rpc: z.literal(1), t: z.literal('reply'), id, outcome: outcomeSchema });

export const childToParentSchema = z.discriminatedUnion('t', [
  callMessage,
  castMessage,
  replyMessage,
  z.object({ rpc: z.literal(1), t: z.literal('serve'), id, sid: name }),
  z.object({ rpc: z.literal(1), t: z.literal('unserve'), id, sid: name }),
  z.object({ rpc: z.literal(1), t: z.literal('subscribe'), id, topic: name }),
  /** `sub` is the id of the original subscribe request. */
  z.object({ rpc: z.literal(1), t: z.literal('unsubscribe'), id, sub: id }),
  z.object({ rpc: z.literal(1), t: z.literal('publish'), topic: name, event: z.unknown() }),
  /** Wait for leadership; answered by `led`, later `lost`. */
  z.object({ rpc: z.literal(1), t: z.literal('lead'), id, name }),
  /** Release (or stop waiting for) the leadership requested by `lead` request `id`. */
  z.object({ rpc: z.literal(1), t: z.literal('unlead'), id }),
]);

export const parentToChildSchema = z.discriminatedUnion('t', [
  callMessage,
  castMessage,
  replyMessage,
  z.object({ rpc: z.literal(1), t: z.literal('event'), sub: id, topic: name, event: z.unknown() }),
  z.object({ rpc: z.literal(1), t: z.literal('led'), id }),
  z.object({ rpc: z.literal(1), t: z.literal('lost'), id }),
]);

export type ChildToParent = z.output<typeof childToParentSchema>;
export type ParentToChild = z.output<typeof parentToChildSchema>;

/** Cheap pre-check so that unrelated IPC traffic is not even parsed. */
export function isRpcMessage(value: unknown): boolean {
  return typeof value === 'object' && value !== null && (value as { rpc?: unknown }).rpc === 1;
}

export type { CallOutcome };
