import { JOB_STATUSES, SESSION_STATUSES, type SessionStatus } from '@cinder/contract';
import { z } from 'zod';
import { tryStringify } from '../../validation/safe-json';

const topic = z
  .string()
  .min(1)
  .max(255)
  .refine((t) => t !== 'phoenix', 'topic "phoenix" is reserved')
  // eslint-disable-next-line no-control-regex
  .refine((t) => !/[\u0000-\u001f]/.test(t), 'topic must not contain control characters');

export const broadcastBody = z
  .object({
    topic,
    event: z
      .string()
      .min(1)
      .max(255)
      .refine((e) => !e.startsWith('phx_'), 'phx_* events are reserved for the protocol'),
    payload: z.record(z.string(), z.unknown()).optional(),
    payload_base64: z
      .string()
      .max(16 * 1024 * 1024)
      .regex(/^[A-Za-z0-9+/]*={0,2}$/, 'payload_base64 must be standard base64')
      .optional(),
    persist: z.boolean().optional(),
    idempotency_key: z.string().min(1).max(200).optional(),
  })
  .strict()
  .refine((b) => !(b.payload !== undefined && b.payload_base64 !== undefined), 'give payload or payload_base64, not both');

/** `result` and `error` are stored and published as JSON: they must encode. */
const encodable = (v: unknown) => tryStringify(v) !== null;

export const jobBody = z
  .object({
    owner_id: z.string().min(1).max(200).optional(),
    status: z.enum(JOB_STATUSES as unknown as [string, ...string[]]),
    percent: z.number().min(0).max(100).optional(),
    stage: z.string().max(200).optional(),
    message: z.string().max(4000).optional(),
    result: z.unknown().optional().refine(encodable, 'result is nested too deeply to encode'),
    error: z.unknown().optional().refine(encodable, 'error is nested too deeply to encode'),
  })
  .strict();

const limit = z.coerce.number().int().min(1).max(500).default(50);

export const messagesQuery = z
  .object({
    after: z.string().regex(/^\d{1,19}$/, 'after must be a message id').optional(),
    limit,
  })
  .strict();

export const sessionsQuery = z
  .object({
    // absent: every session; a typo must not silently widen the list to all of them
    status: z
      .enum(SESSION_STATUSES as unknown as [SessionStatus, ...SessionStatus[]], {
        error: `must be one of ${SESSION_STATUSES.join(', ')}`,
      })
      .optional(),
    limit,
  })
  .strict();

export const idParam = z.object({
  id: z
    .string()
    .min(1)
    .max(200)
    // eslint-disable-next-line no-control-regex
    .refine((s) => !/[\u0000-\u001f]/.test(s), 'id must not contain control characters'),
});

export const topicParam = z.object({ topic });
