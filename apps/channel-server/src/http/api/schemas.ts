import {
  JOB_STATUSES,
  MAX_EVENT_LENGTH,
  MAX_PAYLOAD_BASE64_LENGTH,
  MAX_TOPIC_LENGTH,
  RESERVED_EVENT_PREFIX,
  RESERVED_TOPIC,
  SESSION_STATUSES,
  hasControlCharacters,
  type SessionStatus,
} from '@cinder/contract';
import { z } from 'zod';
import { tryStringify } from '../../validation/safe-json';

// The SDK's redisUrl mode applies the same rules from @cinder/contract (packages/sdk/src/ephemeral-broadcast.ts).
const topic = z
  .string()
  .min(1)
  .max(MAX_TOPIC_LENGTH)
  .refine((t) => t !== RESERVED_TOPIC, `topic "${RESERVED_TOPIC}" is reserved`)
  .refine((t) => !hasControlCharacters(t), 'topic must not contain control characters');

export const broadcastBody = z
  .object({
    topic,
    event: z
      .string()
      .min(1)
      .max(MAX_EVENT_LENGTH)
      .refine((e) => !e.startsWith(RESERVED_EVENT_PREFIX), `${RESERVED_EVENT_PREFIX}* events are reserved for the protocol`),
    payload: z.record(z.string(), z.unknown()).optional(),
    payload_base64: z
      .string()
      .max(MAX_PAYLOAD_BASE64_LENGTH)
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
