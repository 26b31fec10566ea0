import { readFile } from 'node:fs/promises';
import { extname, join, normalize, resolve, sep } from 'node:path';
import type { FastifyInstance } from 'fastify';

const ROOM_DIST = resolve(__dirname, '../../../coaching-room/dist');
const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.map': 'application/json',
};

/**
 * Serves the coaching room (apps/coaching-room/dist) at `/`. The page tells
 * itself whether dev conveniences (dev tokens, simulation) exist by asking
 * the server, so the same build works in both modes.
 */
export function registerCoachingRoom(app: FastifyInstance, opts: { devMode: boolean }): void {
  const send = async (file: string, reply: import('fastify').FastifyReply) => {
    const full = normalize(join(ROOM_DIST, file));
    if (!full.startsWith(ROOM_DIST + sep)) return reply.code(404).send({ error: { code: 'not_found', message: 'not found' } });
    try {
      const body = await readFile(full);
      reply.header('content-type', TYPES[extname(full)] ?? 'application/octet-stream');
      reply.header('cache-control', file === 'index.html' ? 'no-cache' : 'public, max-age=300');
      return reply.send(body);
    } catch {
      return reply.code(404).send({ error: { code: 'not_found', message: 'not found' } });
    }
  };
  app.get('/', (_req, reply) => send('index.html', reply));
  app.get('/assets/*', (req, reply) => send(`assets/${(req.params as { '*': string })['*']}`, reply));
  app.get('/config.json', async () => ({ devMode: opts.devMode }));
}
