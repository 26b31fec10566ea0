/**
 * Property-based fuzzing of every inbound decoder: whatever a client sends,
 * a decoder either returns a well-formed message or throws ProtocolError
 * (which closes only that socket). Anything else escaping would reach the
 * transport's catch as an "internal" error, and a malformed message would
 * reach the router. Run counts are fixed so the suite's time is bounded.
 */
import fc from 'fast-check';
import {
  decodeBinaryPush,
  decodeServerBinary,
  encodeBinaryBroadcast,
  encodeBinaryReply,
  jsonPayload,
  ProtocolError,
  serializerForVsn,
  v1Serializer,
  v2Serializer,
  v2TextSerializer,
  type InboundMessage,
} from '@cinder/protocol';

const RUNS = { numRuns: 400, seed: 20240611 };

function isRef(v: unknown): boolean {
  return v === null || typeof v === 'string' || typeof v === 'number';
}

function assertWellFormed(m: InboundMessage, binary: boolean): void {
  expect(typeof m.topic).toBe('string');
  expect(typeof m.event).toBe('string');
  expect(isRef(m.joinRef)).toBe(true);
  expect(isRef(m.ref)).toBe(true);
  expect(m.binary).toBe(binary);
  if (binary) expect(Buffer.isBuffer(m.payload)).toBe(true);
}

/** Runs a decoder: a result must be well formed, a failure must be a ProtocolError. */
function decodeOrProtocolError(decode: () => InboundMessage, binary: boolean): InboundMessage | ProtocolError {
  try {
    const m = decode();
    assertWellFormed(m, binary);
    return m;
  } catch (err) {
    if (!(err instanceof ProtocolError)) throw err;
    expect(typeof err.code).toBe('string');
    return err;
  }
}

const ref = fc.oneof(fc.constant(null), fc.string({ maxLength: 8 }), fc.integer(), fc.double(), fc.boolean(), fc.constant({}));
const anyJson = fc.jsonValue({ maxDepth: 4 });
/** text that is often, but not always, close to a real frame */
const frameText = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 200 }),
  fc.string({ unit: 'binary', maxLength: 200 }),
  anyJson.map((v) => JSON.stringify(v)),
  fc.tuple(ref, ref, fc.oneof(fc.string(), anyJson), fc.oneof(fc.string(), anyJson), anyJson).map((t) => JSON.stringify(t)),
  fc
    .record(
      { join_ref: ref, ref, topic: fc.oneof(fc.string(), anyJson), event: fc.oneof(fc.string(), anyJson), payload: anyJson },
      { requiredKeys: [] },
    )
    .map((o) => JSON.stringify(o)),
  // truncations of a valid frame
  fc.nat({ max: 60 }).map((n) => JSON.stringify(['1', '2', 'session:x', 'chat:new', { message: 'hi' }]).slice(0, n)),
);

describe('V1 text decoder', () => {
  it('returns a well-formed message or throws ProtocolError, for any text', () => {
    fc.assert(fc.property(frameText, (text) => void decodeOrProtocolError(() => v1Serializer.decodeText(text), false)), RUNS);
  });

  it('accepts exactly the objects with topic, event, payload and ref of the right types', () => {
    const keys = fc.record(
      { join_ref: ref, ref, topic: fc.oneof(fc.string(), anyJson), event: fc.oneof(fc.string(), anyJson), payload: anyJson },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(keys, (o) => {
        const r = decodeOrProtocolError(() => v1Serializer.decodeText(JSON.stringify(o)), false);
        // JSON drops undefined-valued keys; the oracle looks at what was sent.
        const sent = JSON.parse(JSON.stringify(o)) as Record<string, unknown>;
        const valid =
          ['topic', 'event', 'payload', 'ref'].every((k) => k in sent) &&
          typeof sent.topic === 'string' &&
          typeof sent.event === 'string' &&
          isRef(sent.ref) &&
          (sent.join_ref === undefined || isRef(sent.join_ref));
        expect(r instanceof ProtocolError).toBe(!valid);
        if (!(r instanceof ProtocolError)) {
          expect(r).toEqual({ joinRef: sent.join_ref ?? null, ref: sent.ref, topic: sent.topic, event: sent.event, payload: sent.payload, binary: false });
        }
      }),
      RUNS,
    );
  });

  it('refuses every binary frame with ProtocolError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        expect(decodeOrProtocolError(() => v1Serializer.decodeBinary(Buffer.from(bytes)), true)).toBeInstanceOf(ProtocolError);
      }),
      { numRuns: 100, seed: 7 },
    );
  });
});

describe('V2 text decoder', () => {
  it('returns a well-formed message or throws ProtocolError, for any text', () => {
    for (const s of [v2Serializer, v2TextSerializer]) {
      fc.assert(fc.property(frameText, (text) => void decodeOrProtocolError(() => s.decodeText(text), false)), RUNS);
    }
  });

  it('accepts exactly the arrays [join_ref, ref, topic, event, payload, ...] of the right types', () => {
    const arr = fc.array(fc.oneof(ref, fc.string(), anyJson), { maxLength: 7 });
    fc.assert(
      fc.property(arr, (a) => {
        const sent = JSON.parse(JSON.stringify(a)) as unknown[];
        const r = decodeOrProtocolError(() => v2Serializer.decodeText(JSON.stringify(a)), false);
        const valid = sent.length >= 5 && isRef(sent[0]) && isRef(sent[1]) && typeof sent[2] === 'string' && typeof sent[3] === 'string';
        expect(r instanceof ProtocolError).toBe(!valid);
        if (!(r instanceof ProtocolError)) {
          expect(r).toEqual({ joinRef: sent[0], ref: sent[1], topic: sent[2], event: sent[3], payload: sent[4], binary: false });
        }
      }),
      RUNS,
    );
  });
});

/** A client push as phoenix.js builds it: kind 0, four length bytes, fields, payload. */
function clientPush(fields: [string, string, string, string], payload: Uint8Array): Buffer {
  const bufs = fields.map((f) => Buffer.from(f, 'utf8'));
  return Buffer.concat([Buffer.from([0, ...bufs.map((b) => b.length)]), ...bufs, Buffer.from(payload)]);
}

/** a header field: valid UTF-8 of at most 255 bytes */
const field = (min: number) =>
  fc.string({ unit: 'grapheme', minLength: min, maxLength: 60 }).filter((s) => Buffer.byteLength(s) <= 255);

describe('V2 binary decoder', () => {
  it('returns a well-formed push or throws ProtocolError, for any bytes', () => {
    const bytes = fc.oneof(
      fc.uint8Array({ maxLength: 300 }),
      // a plausible header with lengths that may run past the end
      fc.tuple(fc.uint8Array({ minLength: 5, maxLength: 5 }), fc.uint8Array({ maxLength: 100 })).map(([h, rest]) => {
        h[0] = 0;
        return Buffer.concat([Buffer.from(h), Buffer.from(rest)]);
      }),
    );
    fc.assert(
      fc.property(bytes, (b) => {
        const r = decodeOrProtocolError(() => v2Serializer.decodeBinary(Buffer.from(b)), true);
        if (!(r instanceof ProtocolError)) {
          expect(r.topic).not.toBe('');
          expect(r.event).not.toBe('');
        }
      }),
      { numRuns: 1000, seed: 11 },
    );
  });

  it('decodes every well-formed client push back to its fields and bytes', () => {
    fc.assert(
      fc.property(field(0), field(0), field(1), field(1), fc.uint8Array({ maxLength: 200 }), (joinRef, r, topic, event, payload) => {
        const m = v2Serializer.decodeBinary(clientPush([joinRef, r, topic, event], payload));
        expect(m).toEqual({ joinRef, ref: r, topic, event, payload: Buffer.from(payload), binary: true });
        const direct = decodeBinaryPush(clientPush([joinRef, r, topic, event], payload));
        expect(direct.payload.equals(Buffer.from(payload))).toBe(true);
      }),
      RUNS,
    );
  });

  it('the server-frame decoder (used by clients) round-trips replies and broadcasts, and rejects junk with ProtocolError', () => {
    fc.assert(
      fc.property(field(0), field(0), field(1), field(1), fc.uint8Array({ maxLength: 100 }), (jr, r, topic, ev, payload) => {
        const reply = decodeServerBinary(encodeBinaryReply(jr, r, topic, ev, payload));
        expect(reply).toMatchObject({ kind: 1, joinRef: jr, ref: r, topic, event: ev });
        const b = decodeServerBinary(encodeBinaryBroadcast(topic, ev, payload));
        expect(b).toMatchObject({ kind: 2, topic, event: ev });
        expect(Buffer.compare(b.payload, Buffer.from(payload))).toBe(0);
      }),
      RUNS,
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 50 }), (bytes) => {
        try {
          decodeServerBinary(Buffer.from(bytes));
        } catch (err) {
          expect(err).toBeInstanceOf(ProtocolError);
        }
      }),
      { numRuns: 500, seed: 12 },
    );
  });
});

describe('encoders (what other sockets receive)', () => {
  it('always produce valid JSON that carries topic, event and payload unchanged, whatever the strings', () => {
    const text = fc.string({ unit: 'binary', maxLength: 40 });
    fc.assert(
      fc.property(text, text, anyJson, fc.oneof(fc.constant(null), fc.string(), fc.integer()), (topic, event, payload, r) => {
        const p = jsonPayload(payload) as { kind: 'json'; json: string };
        const v2 = JSON.parse(v2Serializer.encodeReply(r, r, topic, event, p).data.toString('utf8'));
        expect(v2).toEqual([r, r, topic, 'phx_reply', { response: JSON.parse(p.json), status: event }]);
        const v1 = JSON.parse(v1Serializer.encodeBroadcast(topic, event, p).data.toString('utf8'));
        expect(v1).toEqual({ event, payload: JSON.parse(p.json), ref: null, topic });
      }),
      RUNS,
    );
  });
});

describe('vsn negotiation', () => {
  it('never throws: any connect param yields a serializer or null', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 20 }), anyJson, fc.constant(undefined)), fc.constantFrom('websocket', 'longpoll' as const), (vsn, t) => {
        const s = serializerForVsn(vsn, t as 'websocket' | 'longpoll');
        if (s !== null) expect(['1.0.0', '2.0.0']).toContain(s.vsn);
        if (typeof vsn === 'string' && !/^\d+\.\d+\.\d+/.test(vsn)) expect(s).toBeNull();
      }),
      RUNS,
    );
  });
});
