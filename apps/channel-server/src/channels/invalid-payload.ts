import { errorReason, type Reply } from '@cinder/runtime';
import type { ZodType } from 'zod';

export type Parsed<T> = { ok: true; value: T } | { ok: false; reply: Reply };

/** Validates a client payload; bad input gets `invalid_payload` and changes nothing. */
export function parsePayload<T>(schema: ZodType<T>, payload: unknown): Parsed<T> {
  const r = schema.safeParse(payload);
  if (r.success) return { ok: true, value: r.data };
  const first = r.error.issues[0];
  const where = first && first.path.length > 0 ? `${first.path.join('.')}: ` : '';
  return { ok: false, reply: errorReason('invalid_payload', { message: `${where}${first?.message ?? 'invalid payload'}` }) };
}
