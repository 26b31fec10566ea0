/**
 * Argument checks shared by the store's operations; each failure is a
 * StoreInputError and happens before anything is sent. They matter most for
 * appends: one unstorable row would otherwise fail the whole group-commit
 * transaction, and with it every other caller's message.
 */
import { StoreInputError } from './errors';

const MAX_ID_LENGTH = 1024;

// Postgres text cannot hold NUL, and a lone UTF-16 surrogate is either
// rejected (jsonb) or silently replaced (text) on the way in.
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
// JSON.stringify escapes exactly those as \u0000 / \udxxx (an even run of
// backslashes before it would mean the user's own literal backslash).
const UNSTORABLE_JSON_ESCAPE = /(?<!\\)(?:\\\\)*\\u(?:0000|d[89a-f][0-9a-f]{2})/i;

export function requireText(value: unknown, what: string): string {
  if (typeof value !== 'string') throw new StoreInputError(`${what} must be a string`);
  if (value.includes('\u0000') || LONE_SURROGATE.test(value)) {
    throw new StoreInputError(`${what} contains characters that cannot be stored (NUL or a lone surrogate)`);
  }
  return value;
}

export function requireId(value: unknown, what: string): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_ID_LENGTH) {
    throw new StoreInputError(`${what} must be a non-empty string of at most ${MAX_ID_LENGTH} characters`);
  }
  return requireText(value, what);
}

/** A JSON-serialisable value Postgres jsonb accepts. */
export function requireJson(value: unknown, what: string): unknown {
  let json: string | undefined;
  try {
    json = JSON.stringify(value);
  } catch (err) {
    throw new StoreInputError(`${what} is not serialisable as JSON: ${(err as Error).message}`);
  }
  if (json === undefined) throw new StoreInputError(`${what} is not serialisable as JSON`);
  if (UNSTORABLE_JSON_ESCAPE.test(json)) {
    throw new StoreInputError(`${what} contains characters that cannot be stored (NUL or a lone surrogate)`);
  }
  return value;
}

export function requirePlainObject(value: unknown, what: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new StoreInputError(`${what} must be a JSON object`);
  }
  requireJson(value, what);
  return value as Record<string, unknown>;
}

export function requireLimit(value: unknown, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > max) {
    throw new StoreInputError(`limit must be an integer from 1 to ${max}`);
  }
  return value;
}

/**
 * Message ids travel as decimal strings. Ones that cannot name a stored row
 * (not decimal, beyond 2^53) give null so lookups answer "not found".
 */
export function parseMessageId(value: unknown): number | null {
  if (typeof value !== 'string' || !/^\d{1,16}$/.test(value)) return null;
  const n = Number(value);
  return Number.isSafeInteger(n) ? n : null;
}

/** Like parseMessageId, but a cursor that is not an id is the caller's mistake. */
export function requireCursor(value: unknown): number {
  const n = parseMessageId(value);
  if (n === null) throw new StoreInputError('after must be a message id (a decimal string)');
  return n;
}

export function requireOneOf<T extends string>(value: unknown, allowed: readonly T[], what: string): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw new StoreInputError(`${what} must be one of ${allowed.join(', ')}`);
  }
  return value as T;
}
