import { errorReason, ok, type ChannelContext, type Reply } from '@cinder/runtime';
import type { SocketAssigns } from '../assigns';
import type { ChannelDeps } from '../deps';
import { parsePayload } from '../invalid-payload';
import { typing } from './payloads';
import { knownStatus } from './session-status';

/**
 * `typing`: to the others only, not stored, no reply on success. Sent per
 * keystroke burst, so the ended rule reads the status the channel keeps
 * (see session-status.ts) instead of asking the store each time.
 */
export function typingHandler(payload: unknown, ctx: ChannelContext<SocketAssigns>): Reply | void {
  const parsed = parsePayload(typing, payload);
  if (!parsed.ok) return parsed.reply;
  if (knownStatus(ctx) === 'ended') return errorReason('session_ended');
  ctx.broadcastFrom('typing', { user_id: ctx.socket.assigns.identity.sub, typing: parsed.value.typing });
}

/**
 * `frame:share`: a binary push (a swing video frame) relayed to the others as
 * a binary broadcast; V1 and LongPoll sockets receive it as {"base64": …}.
 */
export function frameShareHandler(deps: ChannelDeps, payload: unknown, ctx: ChannelContext<SocketAssigns>): Reply {
  if (!(payload instanceof Uint8Array)) return errorReason('invalid_payload', { message: 'frame:share takes a binary payload' });
  if (payload.byteLength > deps.maxFrameBytes) return errorReason('invalid_payload', { message: 'frame too large' });
  ctx.broadcastFrom('frame:shared', Buffer.from(payload));
  return ok({});
}
