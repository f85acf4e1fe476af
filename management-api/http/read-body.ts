import type { IncomingMessage } from 'node:http';
import { ValidationError } from '../../common/errors.js';
import { BodyTooLargeError } from '../errors.js';

/**
 * Reads and parses a JSON body of at most `maxBytes`. An empty body is `undefined`. Stops
 * reading as soon as the limit is passed (the server then closes the connection).
 */
export function readJsonBody(req: IncomingMessage, maxBytes: number): Promise<unknown> {
  const declared = Number(req.headers['content-length'] ?? Number.NaN);
  if (Number.isFinite(declared) && declared > maxBytes) {
    return Promise.reject(new BodyTooLargeError(`request body larger than ${maxBytes} bytes`));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const fail = (err: unknown) => {
      if (done) return;
      done = true;
      req.removeAllListeners('data');
      req.pause();
      reject(err);
    };
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) return fail(new BodyTooLargeError(`request body larger than ${maxBytes} bytes`));
      chunks.push(chunk);
    });
    req.on('error', fail);
    req.on('end', () => {
      if (done) return;
      done = true;
      const text = Buffer.concat(chunks).toString('utf8');
      if (text.trim() === '') return resolve(undefined);
      try {
        resolve(JSON.parse(text));
      } catch {
        reject(new ValidationError('request body is not valid JSON'));
      }
    });
  });
}
