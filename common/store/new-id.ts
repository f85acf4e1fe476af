import { randomBytes } from 'node:crypto';

/**
 * 24 hex characters shaped like a MongoDB ObjectId (4 bytes seconds, 5 random, 3 counter), so
 * OWT clients that read `_id` see a familiar value and ids sort by creation time.
 */
const processRandom = randomBytes(5).toString('hex');
let counter = randomBytes(3).readUIntBE(0, 3);

export function newId(): string {
  counter = (counter + 1) % 0x1000000;
  const seconds = Math.floor(Date.now() / 1000)
    .toString(16)
    .padStart(8, '0');
  return `${seconds}${processRandom}${counter.toString(16).padStart(6, '0')}`;
}
