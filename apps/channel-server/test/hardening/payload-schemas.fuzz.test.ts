/**
 * Property-based fuzzing of every payload validator: the session channel's
 * client payloads and the HTTP API's bodies. For any JSON a client or back
 * end can send, safeParse never throws (a throw would crash the channel or
 * answer 500 instead of `invalid_payload` / 400) and accepts only values of
 * the contract's shape, checked here by an independent oracle. Run counts
 * are fixed so CI time is bounded.
 */
import fc from 'fast-check';
import { JOB_STATUSES, MESSAGE_TYPES, SESSION_STATUSES } from '@cinder/contract';
import type { ZodType } from 'zod';
import { accessToken, chatNew, joinParams, messageDelete, messageEdit, sessionControl, typing } from '../../src/channels/session/payloads';
import { broadcastBody, idParam, jobBody, messagesQuery, sessionsQuery } from '../../src/http/api/schemas';

const RUNS = { numRuns: 300, seed: 31337 };

const codePoints = (s: string) => [...s].length;
const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
const jsonBytes = (v: unknown) => Buffer.byteLength(JSON.stringify(v));
// eslint-disable-next-line no-control-regex
const hasControl = (s: string) => /[\u0000-\u001f]/.test(s);
const isMessageId = (v: unknown) => (typeof v === 'string' && /^\d{1,19}$/.test(v)) || (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0);

/** JSON nested `depth` levels deep: too deep for JSON.stringify in places. */
function nested(depth: number): unknown {
  return JSON.parse('['.repeat(depth) + ']'.repeat(depth));
}

const anyJson = fc.jsonValue({ maxDepth: 3 });
const text = fc.oneof(
  fc.string({ maxLength: 30 }),
  fc.string({ unit: 'grapheme', minLength: 3990, maxLength: 4010 }),
  fc.constant(''),
  fc.string({ unit: 'binary', maxLength: 10 }),
);
const metaish = fc.oneof(
  anyJson,
  fc.dictionary(fc.string({ maxLength: 5 }), anyJson, { maxKeys: 5 }),
  fc.integer({ min: 3500, max: 4500 }).map((n) => ({ pad: 'x'.repeat(n - 10) })),
  fc.integer({ min: 1, max: 20000 }).map((d) => ({ deep: nested(d) })),
);
/** forged identity fields that must be stripped, never trusted */
const forged = fc.record({ author_id: fc.string(), author_role: fc.constantFrom('coach', 'ai', 'system'), sender: fc.string() }, { requiredKeys: [] });

/** Parses and returns the result; the property fails if the schema throws. */
function parse<T>(schema: ZodType<T>, value: unknown): { success: true; data: T } | { success: false } {
  const r = schema.safeParse(value);
  return r.success ? { success: true, data: r.data } : { success: false };
}

describe('session channel payloads', () => {
  it('chat:new accepts exactly {message 1-4000 code points, type?, meta? <= 4 KiB}, stripping forged fields', () => {
    const payload = fc.oneof(
      anyJson,
      fc
        .tuple(fc.record({ message: text, type: fc.oneof(fc.constantFrom(...MESSAGE_TYPES), fc.string({ maxLength: 8 })), meta: metaish }, { requiredKeys: [] }), forged)
        .map(([a, b]) => ({ ...a, ...b })),
    );
    fc.assert(
      fc.property(payload, (p) => {
        const r = parse(chatNew, p);
        const o = isObject(p) ? p : null;
        let metaOk = false;
        try {
          metaOk = o?.meta === undefined || (isObject(o.meta) && jsonBytes(o.meta) <= 4096);
        } catch {
          metaOk = false; // too deep to measure: certainly not a valid 4 KiB meta
        }
        const valid =
          o !== null &&
          typeof o.message === 'string' &&
          codePoints(o.message) >= 1 &&
          codePoints(o.message) <= 4000 &&
          (o.type === undefined || (MESSAGE_TYPES as readonly unknown[]).includes(o.type)) &&
          metaOk;
        expect(r.success).toBe(valid);
        if (r.success) {
          expect(Object.keys(r.data).every((k) => ['message', 'type', 'meta'].includes(k))).toBe(true);
          expect(r.data.message).toBe(o!.message);
        }
      }),
      RUNS,
    );
  });

  it('meta nested deeper than JSON.stringify can go is invalid_payload, not a crash', () => {
    // {"deep":[[...]]} is 9 + 2 x depth bytes: 2043 levels still fit in 4 KiB.
    for (const [depth, valid] of [[100, true], [2043, true], [2044, false], [5000, false], [20000, false]] as const) {
      expect(parse(chatNew, { message: 'hi', meta: { deep: nested(depth) } }).success).toBe(valid);
    }
  });

  it('session:control, typing, message:edit/delete, access_token and join params accept only their shapes', () => {
    const loose = fc.oneof(
      anyJson,
      fc.record(
        {
          status: fc.oneof(fc.constantFrom(...SESSION_STATUSES), fc.string({ maxLength: 6 })),
          current_step: fc.oneof(fc.constant(null), fc.string({ maxLength: 210 }), fc.integer()),
          typing: fc.oneof(fc.boolean(), anyJson),
          id: fc.oneof(fc.bigInt({ min: 0n, max: 10n ** 20n }).map(String), fc.integer({ min: -5, max: 1e9 }), fc.double(), fc.string({ maxLength: 4 })),
          message: text,
          access_token: fc.oneof(fc.string({ maxLength: 20 }), fc.constant(''), fc.integer()),
          history: fc.oneof(fc.integer({ min: -2, max: 600 }), fc.double(), fc.string({ maxLength: 3 })),
          since: fc.oneof(fc.constant(null), fc.bigInt({ min: 0n, max: 10n ** 20n }).map(String), fc.integer({ min: -3, max: 100 }), fc.string({ maxLength: 3 })),
        },
        { requiredKeys: [] },
      ),
    );
    fc.assert(
      fc.property(loose, (p) => {
        const o = isObject(p) ? p : null;
        const msgOk = (v: unknown) => typeof v === 'string' && codePoints(v) >= 1 && codePoints(v) <= 4000;
        expect(parse(sessionControl, p).success).toBe(
          o !== null &&
            (SESSION_STATUSES as readonly unknown[]).includes(o.status) &&
            (o.current_step === undefined || o.current_step === null || (typeof o.current_step === 'string' && o.current_step.length <= 200)),
        );
        expect(parse(typing, p).success).toBe(o !== null && typeof o.typing === 'boolean');
        expect(parse(messageDelete, p).success).toBe(o !== null && isMessageId(o.id));
        expect(parse(messageEdit, p).success).toBe(o !== null && isMessageId(o.id) && msgOk(o.message));
        expect(parse(accessToken, p).success).toBe(o !== null && typeof o.access_token === 'string' && o.access_token.length >= 1 && o.access_token.length <= 8192);
        expect(parse(joinParams, p).success).toBe(
          o !== null &&
            (o.history === undefined || (Number.isInteger(o.history) && (o.history as number) >= 0 && (o.history as number) <= 500)) &&
            (o.since === undefined || o.since === null || isMessageId(o.since)),
        );
      }),
      RUNS,
    );
  });
});

describe('HTTP API bodies and queries', () => {
  const topic = fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom('phoenix', 'session:a', 'user:bob', '', 'session:\n{"x":1}', 'x'.repeat(256)));
  const event = fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom('phx_join', 'phx_reply', 'ai:insight', ''));
  const b64 = fc.oneof(fc.uint8Array({ maxLength: 30 }).map((b) => Buffer.from(b).toString('base64')), fc.string({ maxLength: 12 }));

  it('POST /api/broadcast accepts exactly the contract body', () => {
    const body = fc.oneof(
      anyJson,
      fc
        .tuple(
          fc.record(
            {
              topic,
              event,
              payload: fc.oneof(fc.dictionary(fc.string({ maxLength: 4 }), anyJson, { maxKeys: 3 }), anyJson),
              payload_base64: b64,
              persist: fc.oneof(fc.boolean(), anyJson),
              idempotency_key: fc.oneof(fc.string({ maxLength: 10 }), fc.integer()),
            },
            { requiredKeys: [] },
          ),
          fc.option(fc.record({ extra: anyJson }), { nil: undefined }),
        )
        .map(([a, extra]) => ({ ...a, ...(extra ?? {}) })),
    );
    fc.assert(
      fc.property(body, (b) => {
        const o = isObject(b) ? b : null;
        const keys = ['topic', 'event', 'payload', 'payload_base64', 'persist', 'idempotency_key'];
        const valid =
          o !== null &&
          Object.keys(o).every((k) => keys.includes(k)) &&
          typeof o.topic === 'string' &&
          o.topic.length >= 1 &&
          o.topic.length <= 255 &&
          o.topic !== 'phoenix' &&
          !hasControl(o.topic) &&
          typeof o.event === 'string' &&
          o.event.length >= 1 &&
          o.event.length <= 255 &&
          !o.event.startsWith('phx_') &&
          (o.payload === undefined || isObject(o.payload)) &&
          (o.payload_base64 === undefined || (typeof o.payload_base64 === 'string' && /^[A-Za-z0-9+/]*={0,2}$/.test(o.payload_base64))) &&
          (o.persist === undefined || typeof o.persist === 'boolean') &&
          (o.idempotency_key === undefined || (typeof o.idempotency_key === 'string' && o.idempotency_key.length >= 1 && o.idempotency_key.length <= 200)) &&
          !(o.payload !== undefined && o.payload_base64 !== undefined);
        expect(parse(broadcastBody, b).success).toBe(valid);
      }),
      RUNS,
    );
  });

  it('POST /api/jobs/{id} accepts exactly the contract body', () => {
    const body = fc.oneof(
      anyJson,
      fc.record(
        {
          owner_id: fc.oneof(fc.string({ maxLength: 5 }), fc.integer()),
          status: fc.oneof(fc.constantFrom(...JOB_STATUSES), fc.string({ maxLength: 5 })),
          percent: fc.oneof(fc.double({ min: -10, max: 110, noNaN: true }), fc.string({ maxLength: 3 })),
          stage: fc.oneof(fc.string({ maxLength: 5 }), fc.integer()),
          message: fc.oneof(fc.string({ maxLength: 5 }), fc.constant('m'.repeat(4001))),
          result: anyJson,
          error: anyJson,
          bogus: anyJson,
        },
        { requiredKeys: [] },
      ),
    );
    fc.assert(
      fc.property(body, (b) => {
        const o = isObject(b) ? b : null;
        const keys = ['owner_id', 'status', 'percent', 'stage', 'message', 'result', 'error'];
        const str = (v: unknown, min: number, max: number) => v === undefined || (typeof v === 'string' && v.length >= min && v.length <= max);
        const valid =
          o !== null &&
          Object.keys(o).every((k) => keys.includes(k)) &&
          (JOB_STATUSES as readonly unknown[]).includes(o.status) &&
          str(o.owner_id, 1, 200) &&
          (o.percent === undefined || (typeof o.percent === 'number' && o.percent >= 0 && o.percent <= 100)) &&
          str(o.stage, 0, 200) &&
          str(o.message, 0, 4000);
        expect(parse(jobBody, b).success).toBe(valid);
      }),
      RUNS,
    );
  });

  it('a job result or error nested too deeply to encode is refused, not thrown', () => {
    expect(parse(jobBody, { status: 'completed', result: nested(20000) }).success).toBe(false);
    expect(parse(jobBody, { status: 'failed', error: { e: nested(20000) } }).success).toBe(false);
    expect(parse(jobBody, { status: 'completed', result: nested(50) }).success).toBe(true);
  });

  it('path ids and list queries never throw and refuse control characters and bad limits', () => {
    const q = fc.record({ after: fc.oneof(fc.string({ maxLength: 21 }), fc.bigInt({ min: 0n, max: 10n ** 20n }).map(String)), limit: fc.oneof(fc.string({ maxLength: 4 }), fc.integer({ min: -1, max: 600 }).map(String)), status: fc.oneof(fc.string({ maxLength: 8 }), fc.constantFrom(...SESSION_STATUSES)) }, { requiredKeys: [] });
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 210 }), q, (id, query) => {
        expect(parse(idParam, { id }).success).toBe(id.length >= 1 && id.length <= 200 && !hasControl(id));
        const m = parse(messagesQuery, { after: query.after, limit: query.limit });
        if (m.success) {
          expect(m.data.limit).toBeGreaterThanOrEqual(1);
          expect(m.data.limit).toBeLessThanOrEqual(500);
          if (m.data.after !== undefined) expect(m.data.after).toMatch(/^\d{1,19}$/);
        }
        // No status lists every session, so a typo in one must not pass as "no status".
        const statusOk = query.status === undefined || (SESSION_STATUSES as readonly string[]).includes(query.status);
        const limitOk = parse(messagesQuery, { limit: query.limit }).success;
        expect(parse(sessionsQuery, { status: query.status, limit: query.limit }).success).toBe(statusOk && limitOk);
        if (parse(sessionsQuery, query).success) expect(query.after).toBeUndefined();
      }),
      RUNS,
    );
  });
});
