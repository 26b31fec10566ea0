import { errorReason, ok, type ChannelContext, type Reply } from '@cinder/runtime';
import type { SocketAssigns } from '../assigns';
import type { ChannelDeps } from '../deps';
import { parsePayload } from '../invalid-payload';
import { unavailableOrThrow } from '../store-failure';
import { typing } from './payloads';

/** `typing`: to the others only, not stored, no reply on success. */
export async function typingHandler(deps: ChannelDeps, payload: unknown, ctx: ChannelContext<SocketAssigns>): Promise<Reply | void> {
  const parsed = parsePayload(typing, payload);
  if (!parsed.ok) return parsed.reply;
  try {
    const session = await deps.store.getSession(ctx.state.sessionId as string);
    if (session?.status === 'ended') return errorReason('session_ended');
  } catch (err) {
    return unavailableOrThrow(err);
  }
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
