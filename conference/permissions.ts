import { z } from 'zod';
import { PermissionDeniedError } from '../common/errors.js';
import { validate } from '../management-api/validate.js';
import type { Permission } from './protocol.js';
import type { RoomConfig } from './room-config.js';

export type MediaKind = 'audio' | 'video';

/** A role's permission, or undefined when the room has no such role. */
export function permissionOfRole(config: RoomConfig, role: string): Permission | undefined {
  const def = config.roles.find((r) => r.role === role);
  if (!def) return undefined;
  return {
    publish: { audio: def.publish.audio, video: def.publish.video },
    subscribe: { audio: def.subscribe.audio, video: def.subscribe.video },
  };
}

export function isPermitted(
  permission: Permission,
  operation: 'publish' | 'subscribe',
  kind: MediaKind,
): boolean {
  const p = permission[operation];
  return p !== false && p[kind];
}

/** Throws PermissionDeniedError naming the first kind the participant may not use. */
export function requirePermitted(
  permission: Permission,
  operation: 'publish' | 'subscribe',
  kinds: Iterable<MediaKind>,
): void {
  for (const kind of kinds) {
    if (!isPermitted(permission, operation, kind))
      throw new PermissionDeniedError(`unauthorized: no permission to ${operation} ${kind}`);
  }
}

const avFlags = z.object({ audio: z.boolean(), video: z.boolean() }).strict();

/** The management API's participant PATCH (docs/management-api.md), validated again here. */
export const permissionPatchesSchema = z
  .array(
    z.union([
      z
        .object({
          op: z.literal('replace'),
          path: z.enum(['/permission/publish', '/permission/subscribe']),
          value: z.union([avFlags, z.boolean()]),
        })
        .strict(),
      z
        .object({
          op: z.literal('replace'),
          path: z.enum([
            '/permission/publish/audio',
            '/permission/publish/video',
            '/permission/subscribe/audio',
            '/permission/subscribe/video',
          ]),
          value: z.boolean(),
        })
        .strict(),
    ]),
  )
  .min(1);

/**
 * Applies permission patches to a copy: `true` grants audio and video, `false` revokes the
 * operation, an object sets both; a per-kind path changes one kind. All or nothing.
 */
export function applyPermissionPatches(permission: Permission, patches: unknown): Permission {
  const list = validate(permissionPatchesSchema, patches, 'patches');
  const next: Permission = structuredClone(permission);
  for (const patch of list) {
    const [, , operation, kind] = patch.path.split('/') as [
      string,
      string,
      'publish' | 'subscribe',
      MediaKind?,
    ];
    if (kind === undefined) {
      const value = patch.value;
      next[operation] =
        value === true ? { audio: true, video: true } : value === false ? false : { ...value };
    } else {
      const current = next[operation];
      const base = current === false ? { audio: false, video: false } : current;
      next[operation] = { ...base, [kind]: patch.value };
    }
  }
  return next;
}
