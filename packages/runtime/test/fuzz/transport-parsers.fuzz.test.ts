/**
 * Property-based fuzzing of what the transports parse before a socket even
 * exists: the connect query string, the authToken subprotocol header, the
 * LongPoll POST body and session tokens. None may throw (an exception there
 * would become a 500 or an unhandled rejection) and none may let input
 * reach Object.prototype. Run counts are fixed so CI time is bounded.
 */
import type { IncomingMessage } from 'node:http';
import fc from 'fast-check';
import { ProtocolError } from '@cinder/protocol';
import { parseQuery, firstQueryValue } from '../../src/transports/query-params';
import { parseOfferedProtocols } from '../../src/transports/auth-token-protocol';
import { lineToFrame, MAX_LINES_PER_POST, splitPostBody } from '../../src/transports/longpoll/post-lines';
import { formatSessionToken, mountTag, newSessionId, parseSessionToken } from '../../src/transports/longpoll/session-token';
import { readLongPollQuery } from '../../src/transports/longpoll/token-params';

const RUNS = { numRuns: 500, seed: 424242 };

/** query-ish text: separators, brackets, percent signs and prototype keys are common */
const queryText = fc
  .array(
    fc.oneof(
      fc.constantFrom('&', '=', '[', ']', '%', '%2', '%zz', '+', '?', '__proto__', 'constructor', 'prototype', 'token', 'vsn', 'a', '[]', '%5B'),
      fc.string({ unit: 'binary', maxLength: 6 }),
    ),
    { maxLength: 30 },
  )
  .map((parts) => parts.join(''));

function leavesAreStrings(v: unknown, depth = 0): boolean {
  if (typeof v === 'string') return true;
  if (v === null || typeof v !== 'object' || depth > 50) return false;
  if (Object.getPrototypeOf(v) !== null) return false;
  return Object.values(v as object).every((x) => leavesAreStrings(x, depth + 1));
}

afterEach(() => {
  // Prototype pollution would show up on every plain object.
  expect(Object.keys(Object.prototype)).toEqual([]);
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
});

describe('connect query string', () => {
  it('never throws, never pollutes prototypes, and yields only string leaves in null-prototype objects', () => {
    fc.assert(
      fc.property(queryText, (q) => {
        const out = parseQuery(q);
        expect(leavesAreStrings(out)).toBe(true);
        expect(() => firstQueryValue(q, 'token')).not.toThrow();
      }),
      RUNS,
    );
  });

  it('decodes encoded flat pairs exactly (last value wins)', () => {
    const key = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 10 }).filter((k) => !k.includes('[') && !['__proto__', 'constructor', 'prototype'].includes(k));
    const value = fc.string({ unit: 'grapheme', maxLength: 20 });
    fc.assert(
      fc.property(fc.array(fc.tuple(key, value), { maxLength: 6 }), (pairs) => {
        const q = '?' + pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&');
        const out = parseQuery(q);
        const expected = new Map(pairs);
        expect(Object.keys(out).sort()).toEqual([...expected.keys()].sort());
        for (const [k, v] of expected) expect(out[k]).toBe(v);
      }),
      RUNS,
    );
  });

  it('LongPoll query splitting never throws and keeps the connect token apart from the session token', () => {
    const req = { headers: {} } as IncomingMessage;
    fc.assert(
      fc.property(queryText, fc.boolean(), (q, looks) => {
        const r = readLongPollQuery(req, q, () => looks);
        expect(leavesAreStrings(r.connectParams)).toBe(true);
        if (r.sessionToken !== undefined) expect(typeof r.sessionToken).toBe('string');
      }),
      RUNS,
    );
  });
});

describe('authToken subprotocol (Sec-WebSocket-Protocol)', () => {
  const PREFIX = 'base64url.bearer.phx.';

  it('never throws on any header; a malformed entry yields no token', () => {
    const header = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 80 }),
      fc.array(fc.oneof(fc.constant('phoenix'), fc.string({ maxLength: 12 }), fc.string({ maxLength: 20 }).map((s) => PREFIX + s)), { maxLength: 4 }).map((a) => a.join(', ')),
      fc.constant(undefined),
    );
    fc.assert(
      fc.property(header, (h) => {
        const r = parseOfferedProtocols(h);
        expect(r.rest.every((e) => typeof e === 'string' && e !== '' && !e.startsWith(PREFIX))).toBe(true);
        if (r.malformed) expect(r.authToken).toBeUndefined();
        if (r.authToken !== undefined) expect(typeof r.authToken).toBe('string');
      }),
      RUNS,
    );
  });

  it('returns exactly the token phoenix.js 1.8 encoded (btoa without padding, either alphabet)', () => {
    const jwtish = fc.string({ unit: fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.'.split('')), minLength: 1, maxLength: 300 });
    fc.assert(
      fc.property(jwtish, fc.boolean(), (token, urlAlphabet) => {
        let b64 = Buffer.from(token, 'latin1').toString('base64').replace(/=+$/, '');
        if (urlAlphabet) b64 = b64.replace(/\+/g, '-').replace(/\//g, '_');
        const r = parseOfferedProtocols(`phoenix, ${PREFIX}${b64}`);
        expect(r).toEqual({ authToken: token, rest: ['phoenix'], malformed: false });
      }),
      RUNS,
    );
  });
});

describe('LongPoll POST bodies', () => {
  it('split into at most 100 non-empty lines, each becoming a bounded frame or a ProtocolError', () => {
    const body = fc.array(
      fc.oneof(
        fc.string({ unit: 'binary', maxLength: 40 }),
        fc.jsonValue({ maxDepth: 2 }).map((v) => JSON.stringify(v)),
        fc.uint8Array({ maxLength: 40 }).map((b) => Buffer.from(b).toString('base64')),
      ),
      { maxLength: 120 },
    );
    fc.assert(
      fc.property(body, fc.constantFrom('application/x-ndjson', 'application/json', undefined), fc.integer({ min: 1, max: 64 }), (lines, ct, max) => {
        const parts = splitPostBody(Buffer.from(lines.join('\n'), 'utf8'), ct);
        expect(parts.length).toBeLessThanOrEqual(MAX_LINES_PER_POST);
        for (const line of parts) {
          try {
            const frame = lineToFrame(line, max);
            expect(frame.data.length).toBeLessThanOrEqual(max);
            expect(frame.binary).toBe(line.base64);
          } catch (err) {
            expect(err).toBeInstanceOf(ProtocolError);
          }
        }
      }),
      { numRuns: 300, seed: 99 },
    );
  });
});

describe('LongPoll session tokens', () => {
  const mount = mountTag('/socket/longpoll');

  it('round-trip for any node id and never parse junk or another mount', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 }), (nodeId) => {
        const sessionId = newSessionId();
        const token = formatSessionToken(nodeId, mount, sessionId);
        expect(parseSessionToken(token, mount)).toEqual({ nodeId, sessionId });
        expect(parseSessionToken(token, mountTag('/other/longpoll'))).toBeNull();
      }),
      RUNS,
    );
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'binary', maxLength: 80 }), fc.array(fc.string({ maxLength: 30 }), { maxLength: 4 }).map((a) => a.join('.'))), (junk) => {
        const r = parseSessionToken(junk, mount);
        if (r !== null) expect(formatSessionToken(r.nodeId, mount, r.sessionId)).toBe(junk);
      }),
      RUNS,
    );
  });
});
