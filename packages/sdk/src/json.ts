import { CinderApiError } from './errors';

/**
 * JSON.stringify, with values it cannot encode (cycles, BigInt, nesting too
 * deep for the stack) refused as the server refuses bad bodies: a 400
 * `invalid_request`, the same on the HTTP path and in `redisUrl` mode.
 */
export function encodeJson(value: unknown, what: string): string | undefined {
  try {
    return JSON.stringify(value);
  } catch (err) {
    throw new CinderApiError(400, 'invalid_request', `${what} cannot be encoded as JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
}
