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
