const PREFIX = 'base64url.bearer.phx.';

export interface OfferedProtocols {
  /** the decoded phoenix.js 1.8 authToken, if one was offered */
  authToken: string | undefined;
  /** the other offered subprotocols, in order */
  rest: string[];
  /** true when a token entry could not be decoded */
  malformed: boolean;
}

/**
 * Splits Sec-WebSocket-Protocol. phoenix.js 1.8 sends its authToken as
 * `base64url.bearer.phx.<btoa(token) without padding>`; despite the label it
 * uses the standard alphabet, so both alphabets and optional padding are
 * accepted.
 */
export function parseOfferedProtocols(header: string | undefined): OfferedProtocols {
  const entries = (header ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  const tokens = entries.filter((e) => e.startsWith(PREFIX));
  const rest = entries.filter((e) => !e.startsWith(PREFIX));
  if (tokens.length !== 1) return { authToken: undefined, rest, malformed: false };
  const encoded = tokens[0].slice(PREFIX.length).replace(/-/g, '+').replace(/_/g, '/').replace(/=+$/, '');
  if (encoded === '' || !/^[A-Za-z0-9+/]*$/.test(encoded) || encoded.length % 4 === 1) {
    return { authToken: undefined, rest, malformed: true };
  }
  return { authToken: Buffer.from(encoded, 'base64').toString('latin1'), rest, malformed: false };
}
