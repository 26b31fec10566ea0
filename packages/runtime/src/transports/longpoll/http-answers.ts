import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * The HTTP dialect of Phoenix's LongPoll: every answer the transport builds
 * is HTTP 200 with the real status inside the JSON body (phoenix.js reads
 * only the body), except the empty 400 for an unsupported method.
 */

/** Bodies phoenix.js understands; key order follows Phoenix's encoder. */
export type LongPollBody =
  | { status: 200 | 403 | 410 | 500 }
  | { messages: string[]; status: 200 | 204 | 410; token: string };

// Plug's default for answers that are not JSON (400, preflight).
const PLUG_CACHE_CONTROL = 'max-age=0, private, must-revalidate';

export function answerJson(res: ServerResponse, body: LongPollBody): void {
  if (res.headersSent || res.destroyed) return;
  const text = JSON.stringify(body);
  res.writeHead(200, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
    'access-control-allow-origin': '*',
  });
  res.end(text);
}

/**
 * Empty 400. `closeConnection` is for a request whose body we stopped
 * reading: closing spares Node from draining megabytes we already refused.
 */
export function answerBadRequest(res: ServerResponse, closeConnection = false): void {
  if (res.headersSent || res.destroyed) return;
  const headers: Record<string, string | number> = {
    'content-length': 0,
    'cache-control': PLUG_CACHE_CONTROL,
    'access-control-allow-origin': '*',
  };
  if (closeConnection) headers.connection = 'close';
  res.writeHead(400, headers);
  res.end();
}

/** CORS preflight: the custom X-Phoenix-* headers trigger one cross-origin. */
export function answerPreflight(req: IncomingMessage, res: ServerResponse): void {
  if (res.headersSent || res.destroyed) return;
  const requested = req.headers['access-control-request-headers'];
  res.writeHead(200, {
    'content-length': 0,
    'cache-control': PLUG_CACHE_CONTROL,
    'access-control-allow-origin': '*',
    'access-control-allow-headers': Array.isArray(requested) ? requested.join(', ') : (requested ?? ''),
    'access-control-allow-methods': 'get, post, options',
    'access-control-max-age': '3600',
  });
  res.end();
}
