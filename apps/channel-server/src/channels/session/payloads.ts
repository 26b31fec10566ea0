import { MESSAGE_TYPES, SESSION_STATUSES } from '@cinder/contract';
import { z } from 'zod';
import { jsonByteLength } from '../../validation/safe-json';
import { codePointLength, MAX_MESSAGE_CODE_POINTS, MAX_META_BYTES } from './message-rules';

/** Client payloads of `session:{id}`; unknown keys (forged author fields) are stripped. */

const messageText = z
  .string()
  .refine((s) => {
    const n = codePointLength(s);
    return n >= 1 && n <= MAX_MESSAGE_CODE_POINTS;
  }, 'message must be 1-4000 characters');

const meta = z.record(z.string(), z.unknown()).refine((m) => jsonByteLength(m) <= MAX_META_BYTES, 'meta must be at most 4 KiB of JSON');

export const messageId = z.union([z.string().regex(/^\d{1,19}$/), z.number().int().nonnegative()]).transform(String);

export const joinParams = z
  .object({
    history: z.number().int().min(0).max(500).optional(),
    since: messageId.optional().nullable(),
  })
  .passthrough();

export const chatNew = z.object({
  message: messageText,
  type: z.enum(MESSAGE_TYPES).optional(),
  meta: meta.optional(),
});

export const sessionControl = z.object({
  status: z.enum(SESSION_STATUSES as unknown as [string, ...string[]]),
  current_step: z.string().max(200).nullable().optional(),
});

export const typing = z.object({ typing: z.boolean() });

export const messageEdit = z.object({ id: messageId, message: messageText });

export const messageDelete = z.object({ id: messageId });

export const accessToken = z.object({ access_token: z.string().min(1).max(8192) });
