import type { Received } from './raw-client';

/** Phoenix presence refs, and Cinder's: 16 characters of the URL-safe alphabet. */
export const PHX_REF = /^[A-Za-z0-9_-]{16}$/;

const REF_KEYS = new Set(['phx_ref', 'phx_ref_prev']);

/**
 * Recorded phx_ref values differ from ours on every run, so they are matched
 * as a one-to-one renaming that must hold for the whole case: the same
 * recorded ref always stands for the same actual ref, and vice versa.
 */
export class RefMap {
  private readonly recordedToActual = new Map<string, string>();
  private readonly actualToRecorded = new Map<string, string>();

  clone(): RefMap {
    const c = new RefMap();
    for (const [k, v] of this.recordedToActual) c.recordedToActual.set(k, v);
    for (const [k, v] of this.actualToRecorded) c.actualToRecorded.set(k, v);
    return c;
  }

  adopt(other: RefMap): void {
    this.recordedToActual.clear();
    this.actualToRecorded.clear();
    for (const [k, v] of other.recordedToActual) this.recordedToActual.set(k, v);
    for (const [k, v] of other.actualToRecorded) this.actualToRecorded.set(k, v);
  }

  /** null when consistent, else why not */
  bind(recorded: string, actual: string): string | null {
    const a = this.recordedToActual.get(recorded);
    if (a !== undefined) return a === actual ? null : `recorded ref ${recorded} stood for ${a} before, now ${actual}`;
    const r = this.actualToRecorded.get(actual);
    if (r !== undefined) return `ref ${actual} stood for recorded ${r} before, now for ${recorded}`;
    this.recordedToActual.set(recorded, actual);
    this.actualToRecorded.set(actual, recorded);
    return null;
  }
}

function kind(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v;
}

/** Structural JSON equality (key order ignored) with phx_ref renaming. */
export function matchJson(expected: unknown, actual: unknown, refs: RefMap, path = '$'): string | null {
  if (kind(expected) !== kind(actual)) return `${path}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`;
  if (Array.isArray(expected)) {
    const act = actual as unknown[];
    if (expected.length !== act.length) return `${path}: expected ${expected.length} elements, got ${act.length}`;
    for (let i = 0; i < expected.length; i++) {
      const why = matchJson(expected[i], act[i], refs, `${path}[${i}]`);
      if (why) return why;
    }
    return null;
  }
  if (expected !== null && typeof expected === 'object') {
    const exp = expected as Record<string, unknown>;
    const act = actual as Record<string, unknown>;
    const ek = Object.keys(exp).sort();
    const ak = Object.keys(act).sort();
    if (ek.join('\u0000') !== ak.join('\u0000')) return `${path}: expected keys [${ek}], got [${ak}]`;
    for (const k of ek) {
      if (REF_KEYS.has(k) && typeof exp[k] === 'string') {
        const a = act[k];
        if (typeof a !== 'string' || !PHX_REF.test(a)) return `${path}.${k}: ${JSON.stringify(a)} is not a 16-char phx_ref`;
        const why = refs.bind(exp[k] as string, a);
        if (why) return `${path}.${k}: ${why}`;
        continue;
      }
      const why = matchJson(exp[k], act[k], refs, `${path}.${k}`);
      if (why) return why;
    }
    return null;
  }
  return Object.is(expected, actual) ? null : `${path}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`;
}

/** A recorded frame: text compared as parsed JSON, binary byte for byte. */
export type RecordedFrame = { readonly type: 'text'; readonly frame: string } | { readonly type: 'binary'; readonly hex: string };

export function showFrame(f: Received | RecordedFrame): string {
  if (f.type === 'binary') return `binary ${'hex' in f ? f.hex : f.bytes.toString('hex')}`;
  return 'frame' in f ? f.frame : f.text;
}

export function matchFrame(expected: RecordedFrame, actual: Received, refs: RefMap): string | null {
  if (expected.type === 'binary') {
    if (actual.type !== 'binary') return `expected binary ${expected.hex}, got text ${actual.text}`;
    const got = actual.bytes.toString('hex');
    return got === expected.hex ? null : `expected binary ${expected.hex}, got binary ${got}`;
  }
  if (actual.type !== 'text') return `expected text ${expected.frame}, got binary ${actual.bytes.toString('hex')}`;
  let parsed: unknown;
  try {
    parsed = JSON.parse(actual.text);
  } catch {
    return `got a text frame that is not JSON: ${actual.text}`;
  }
  const why = matchJson(JSON.parse(expected.frame), parsed, refs);
  return why ? `${why}\n  expected ${expected.frame}\n  got      ${actual.text}` : null;
}
