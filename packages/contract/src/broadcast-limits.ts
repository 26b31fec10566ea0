/*
 * What POST /api/broadcast accepts (CONTRACT §6). The server enforces these;
 * the SDK's `redisUrl` mode bypasses the server, so it enforces the same
 * numbers itself and must read them from here, not from a copy.
 */

/** Largest request body the server API reads (bytes of the JSON text). */
export const MAX_API_BODY_BYTES = 1024 * 1024;
/** In UTF-16 code units, as the server's schema counts them. */
export const MAX_TOPIC_LENGTH = 255;
export const MAX_EVENT_LENGTH = 255;
/** Phoenix's own topic (heartbeats), never a channel's. */
export const RESERVED_TOPIC = 'phoenix';
/** Protocol events (phx_join, phx_reply…) a client would misread as the protocol's own. */
export const RESERVED_EVENT_PREFIX = 'phx_';
export const MAX_PAYLOAD_BASE64_LENGTH = 16 * 1024 * 1024;

// eslint-disable-next-line no-control-regex
const CONTROL_CHARACTERS = /[\u0000-\u001f]/;

export function hasControlCharacters(s: string): boolean {
  return CONTROL_CHARACTERS.test(s);
}
