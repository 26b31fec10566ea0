import type { IncomingMessage } from 'node:http';

/**
 * Reads and discards what is left of a refused request body before the
 * answer goes out. Closing a socket with unread bytes makes the kernel send
 * a reset, and a client still uploading an oversized body then sees EPIPE or
 * ECONNRESET instead of our 400. Bounded in bytes and time, so a huge or
 * trickling upload is cut off all the same.
 */
export function drainRequest(req: IncomingMessage, maxBytes: number, maxMs: number): Promise<void> {
  if (req.complete || req.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    let seen = 0;
    const done = () => {
      clearTimeout(timer);
      req.off('data', onData);
      req.off('end', done);
      req.off('close', done);
      resolve();
    };
    const onData = (chunk: Buffer) => {
      seen += chunk.length;
      if (seen > maxBytes) done();
    };
    const timer = setTimeout(done, maxMs);
    req.on('data', onData);
    req.once('end', done);
    req.once('close', done);
    req.resume();
  });
}
