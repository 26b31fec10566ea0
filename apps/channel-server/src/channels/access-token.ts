import { errorReason, ok, type ChannelContext, type Reply } from '@cinder/runtime';
import type { TokenVerifier } from '../auth/token-verifier';
import type { SocketAssigns } from './assigns';
import { accessToken } from './session/payloads';
import { parsePayload } from './invalid-payload';

/**
 * In-band token refresh (Supabase Realtime's `access_token` event): a valid
 * token for the same user replaces the socket's identity, pushing its expiry
 * forward; anything else is `unauthorized` and changes nothing.
 */
export function refreshAccessToken(verifier: TokenVerifier, payload: unknown, ctx: ChannelContext<SocketAssigns>): Reply {
  const parsed = parsePayload(accessToken, payload);
  if (!parsed.ok) return errorReason('unauthorized');
  const result = verifier.verify(parsed.value.access_token);
  const assigns = ctx.socket.assigns;
  if (!result.ok || result.identity.sub !== assigns.identity.sub) return errorReason('unauthorized');
  assigns.identity = result.identity;
  return ok({});
}
