/** The server answered with an error: `code` is the server's `{error: {code}}`. */
export class CinderApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'CinderApiError';
  }
}

/** The server could not be reached (connection refused, timeout…). */
export class CinderNetworkError extends Error {
  constructor(message: string, cause?: unknown) {
    super(message, { cause });
    this.name = 'CinderNetworkError';
  }
}

/**
 * The cluster's Redis did not accept a `redisUrl`-mode broadcast (down,
 * unreachable, too slow, or the client was closed). A subclass of
 * CinderNetworkError so handlers written for the HTTP path catch it too; the
 * broadcast may or may not have been delivered if Redis went away mid-way.
 */
export class CinderUnavailableError extends CinderNetworkError {
  readonly code = 'unavailable';

  constructor(message: string, cause?: unknown) {
    super(message, cause);
    this.name = 'CinderUnavailableError';
  }
}
