import type { Duplex } from 'node:stream';

const REASONS: Record<number, string> = { 400: 'Bad Request', 403: 'Forbidden', 404: 'Not Found', 503: 'Service Unavailable' };

/**
 * Answers an upgrade request with a plain HTTP status, as Phoenix does for a
 * refused WebSocket (403 with an empty body; browsers only see close 1006).
 */
export function refuseUpgrade(socket: Duplex, status: number, opts: { body?: string; protocol?: string } = {}): void {
  const body = opts.body ?? '';
  const lines = [
    `HTTP/1.1 ${status} ${REASONS[status] ?? 'Error'}`,
    `content-length: ${Buffer.byteLength(body)}`,
    'cache-control: max-age=0, private, must-revalidate',
    'connection: close',
  ];
  if (opts.protocol) lines.push(`sec-websocket-protocol: ${opts.protocol}`);
  socket.end(`${lines.join('\r\n')}\r\n\r\n${body}`);
}
