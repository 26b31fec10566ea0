import type { FastifyReply } from 'fastify';
import type { ZodError } from 'zod';

/** Every API error is `{error: {code, message}}`. */
export function sendError(reply: FastifyReply, status: number, code: string, message: string) {
  return reply.code(status).send({ error: { code, message } });
}

export function zodMessage(err: ZodError): string {
  const first = err.issues[0];
  if (!first) return 'invalid input';
  return first.path.length > 0 ? `${first.path.join('.')}: ${first.message}` : first.message;
}
