import type { FastifyInstance } from 'fastify';
import { signDevToken } from '../auth/token-verifier';
import { normalizeRole } from '../auth/identity';

const DEV_TOKEN_TTL_SECONDS = 12 * 3600;

/**
 * Dev mode only (no JWT_SECRET, not production): hands out tokens so a
 * newcomer can connect at once. Registered only in dev mode, so it is a 404
 * whenever a real secret is configured.
 */
export function registerDevToken(app: FastifyInstance, secret: string): void {
  app.get('/dev/token', async (req, reply) => {
    const q = req.query as Record<string, unknown>;
    const sub = typeof q.sub === 'string' ? q.sub.trim() : '';
    if (sub === '' || sub.length > 200) {
      return reply.code(400).send({ error: { code: 'invalid_request', message: 'sub is required (1-200 characters)' } });
    }
    const role = normalizeRole(typeof q.role === 'string' && q.role !== '' ? q.role : undefined);
    if (!role) return reply.code(400).send({ error: { code: 'invalid_request', message: 'role must be student or coach' } });
    const rawSessions = typeof q.sessions === 'string' ? q.sessions.trim() : '';
    const sessions = rawSessions === '*' ? '*' : rawSessions.split(',').map((s) => s.trim()).filter(Boolean);
    const rawJobs = typeof q.jobs === 'string' ? q.jobs.trim() : '';
    const jobs = rawJobs === '*' ? '*' : rawJobs.split(',').map((s) => s.trim()).filter(Boolean);
    const name = typeof q.name === 'string' && q.name.trim() !== '' ? q.name.trim().slice(0, 200) : sub;
    const token = signDevToken(secret, { sub, name, role, sessions, jobs }, DEV_TOKEN_TTL_SECONDS);
    return { token };
  });
}
