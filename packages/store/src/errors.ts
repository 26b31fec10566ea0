/**
 * The store's two error kinds. Callers branch on them: an unavailable store
 * becomes the `unavailable` reply / 503, bad input a 400 / `invalid_payload`.
 */

/** The database could not be reached or did not answer in time; nothing was half-written. */
export class StoreUnavailableError extends Error {
  override readonly name = 'StoreUnavailableError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** An argument the store refuses (bad id, oversized key); nothing was changed. */
export class StoreInputError extends Error {
  override readonly name = 'StoreInputError';
}

/** An append with `requireOpen` to a session that has ended; nothing was written. */
export class SessionEndedError extends Error {
  override readonly name = 'SessionEndedError';
}

// Connection-level failures from node's sockets and from pg / pg-pool.
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
]);

// SQLSTATEs meaning "the server cannot do it now", not "the request is wrong":
// connection exceptions (08), shutdown / cannot connect now (57P0x),
// statement timeout (57014), resource exhaustion (53), and transaction
// rollbacks from contention (40001, 40P01) that left nothing behind.
function transientSqlState(code: string): boolean {
  return (
    code.startsWith('08') ||
    code.startsWith('53') ||
    code.startsWith('57P') ||
    code === '57014' ||
    code === '40001' ||
    code === '40P01'
  );
}

const TRANSIENT_MESSAGES = [
  'Connection terminated',
  'timeout exceeded when trying to connect',
  'Query read timeout',
  'not queryable',
  'Client was closed',
  'Cannot use a pool after calling end',
];

function causes(err: unknown): unknown[] {
  const chain: unknown[] = [];
  let cur: unknown = err;
  // drizzle wraps driver errors in DrizzleQueryError with the original as `cause`.
  while (cur && chain.length < 5) {
    chain.push(cur);
    cur = (cur as { cause?: unknown }).cause;
  }
  return chain;
}

export function isTransient(err: unknown): boolean {
  return causes(err).some((e) => {
    if (e instanceof StoreUnavailableError) return true;
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && (NETWORK_CODES.has(code) || transientSqlState(code))) return true;
    const message = (e as { message?: unknown }).message;
    return typeof message === 'string' && TRANSIENT_MESSAGES.some((m) => message.includes(m));
  });
}

/** Unavailability becomes StoreUnavailableError; anything else (a bug, bad data) stays as it is. */
export function toStoreError(err: unknown, what: string): unknown {
  if (err instanceof StoreUnavailableError || err instanceof StoreInputError) return err;
  if (isTransient(err)) {
    const root = causes(err).at(-1);
    const detail = root instanceof Error ? root.message : String(root);
    return new StoreUnavailableError(`store unavailable during ${what}: ${detail}`, { cause: err });
  }
  return err;
}
