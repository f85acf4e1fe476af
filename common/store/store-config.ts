import { z } from 'zod';

/**
 * `[store]`: where services, rooms and tokens live.
 * - `embedded` (default): a file-backed store in `dataDir`, for one process.
 * - `mongodb`: cluster mode; `mongodbUrl` required.
 * `encryptionKey` (64 hex chars or base64 of 32 bytes) encrypts service keys at rest. When empty,
 * the embedded store generates one in `dataDir/encryption.key` (all-in-one); MongoDB requires it.
 */
export const storeSchema = z
  .object({
    type: z.enum(['embedded', 'mongodb']).default('embedded'),
    dataDir: z.string().min(1).default('./data'),
    mongodbUrl: z.string().default(''),
    database: z.string().default('mediaspread'),
    encryptionKey: z.string().default(''),
  })
  .strict()
  .superRefine((value, ctx) => {
    if (value.type === 'mongodb' && !/^mongodb(\+srv)?:\/\//.test(value.mongodbUrl)) {
      ctx.addIssue({
        code: 'custom',
        path: ['mongodbUrl'],
        message: 'a mongodb:// URL is required when type is mongodb',
      });
    }
    if (value.encryptionKey !== '' && !isKey32(value.encryptionKey)) {
      ctx.addIssue({
        code: 'custom',
        path: ['encryptionKey'],
        message: 'expected 64 hex characters or base64 of 32 bytes',
      });
    }
    if (value.type === 'mongodb' && value.encryptionKey === '') {
      ctx.addIssue({ code: 'custom', path: ['encryptionKey'], message: 'required when type is mongodb' });
    }
  });

function isKey32(text: string): boolean {
  if (/^[0-9a-fA-F]{64}$/.test(text)) return true;
  return /^[A-Za-z0-9+/]{43}=$/.test(text);
}

export type StoreConfig = z.output<typeof storeSchema>;
