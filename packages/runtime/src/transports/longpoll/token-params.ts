import type { IncomingMessage } from 'node:http';
import { parseQuery } from '../query-params';

/**
 * LongPoll's `token` collides with a connect param named `token` (trap 5):
 * phoenix.js appends the session token after the app's params, so a request
 * can carry `token=<jwt>&…&token=<session>`. The session token is the
 * `x-phoenix-longpoll-token` header (phoenix.js main) or else the last
 * `token`; the connect param is the first.
 */

export interface LongPollQuery {
  /** the session token the client presented, if any */
  readonly sessionToken: string | undefined;
  /** the params `authenticate` receives when this request opens a session */
  readonly connectParams: Record<string, unknown>;
}

function tokenValues(search: string): string[] {
  const query = search.startsWith('?') ? search.slice(1) : search;
  const values: string[] = [];
  for (const part of query.split('&')) {
    const eq = part.indexOf('=');
    if ((eq < 0 ? part : part.slice(0, eq)) !== 'token') continue;
    try {
      values.push(decodeURIComponent((eq < 0 ? '' : part.slice(eq + 1)).replace(/\+/g, ' ')));
    } catch {
      // undecodable: parseQuery drops it too
    }
  }
  return values;
}

/**
 * `looksLikeSession` tells a lone `token` apart: on the first GET it is the
 * app's connect param (phoenix.js has no session yet); later it is the
 * session's, and then the app never sent one.
 */
export function readLongPollQuery(
  req: IncomingMessage,
  search: string,
  looksLikeSession: (token: string) => boolean,
): LongPollQuery {
  const params = parseQuery(search);
  const tokens = tokenValues(search);
  const header = req.headers['x-phoenix-longpoll-token'];
  const headerToken = typeof header === 'string' && header !== '' ? header : undefined;

  let sessionToken = headerToken;
  let connectTokens = tokens;
  if (sessionToken === undefined && tokens.length > 0) {
    const last = tokens[tokens.length - 1];
    sessionToken = last === '' ? undefined : last;
    if (tokens.length > 1 || looksLikeSession(last)) connectTokens = tokens.slice(0, -1);
  }
  if (connectTokens.length > 0) params.token = connectTokens[0];
  else if (typeof params.token === 'string') delete params.token;
  return { sessionToken, connectParams: params };
}
