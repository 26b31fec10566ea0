import { WebSocket } from 'ws';

/** A hand-driven WebSocket that records every frame and the close code. */
export interface RawSocket {
  ws: WebSocket;
  frames: Array<string | Buffer>;
  json(): unknown[];
  closed: Promise<{ code: number; reason: string }>;
  send(frame: unknown): void;
  next(predicate?: (f: any) => boolean, timeoutMs?: number): Promise<any>;
}

export function openRaw(url: string, protocols?: string[]): Promise<RawSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, protocols);
    const frames: Array<string | Buffer> = [];
    const waiters: Array<() => void> = [];
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      frames.push(isBinary ? data : data.toString('utf8'));
      for (const w of waiters.splice(0)) w();
    });
    const closed = new Promise<{ code: number; reason: string }>((res) => ws.on('close', (code, reason) => res({ code, reason: reason.toString() })));
    ws.once('unexpected-response', (_req, res) => reject(Object.assign(new Error(`HTTP ${res.statusCode}`), { status: res.statusCode, headers: res.headers })));
    ws.once('error', (e) => reject(e));
    ws.once('open', () => {
      let seen = 0;
      const raw: RawSocket = {
        ws,
        frames,
        closed,
        json: () => frames.filter((f): f is string => typeof f === 'string').map((f) => JSON.parse(f)),
        send: (frame) => ws.send(typeof frame === 'string' || Buffer.isBuffer(frame) ? (frame as string | Buffer) : JSON.stringify(frame)),
        next: (predicate = () => true, timeoutMs = 5000) =>
          new Promise((res, rej) => {
            const timer = setTimeout(() => rej(new Error(`no matching frame; got ${JSON.stringify(frames.slice(seen))}`)), timeoutMs);
            const check = () => {
              while (seen < frames.length) {
                const f = frames[seen++];
                const v = typeof f === 'string' ? JSON.parse(f) : f;
                if (predicate(v)) {
                  clearTimeout(timer);
                  res(v);
                  return;
                }
              }
              waiters.push(check);
            };
            check();
          }),
      };
      resolve(raw);
    });
  });
}
