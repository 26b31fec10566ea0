import type { MessageType } from '@cinder/contract';
import { errorReason, ok, type ChannelContext, type Reply } from '@cinder/runtime';
import { SessionEndedError } from '@cinder/store';
import type { SocketAssigns } from '../assigns';
import type { ChannelDeps } from '../deps';
import { parsePayload } from '../invalid-payload';
import { unavailableOrThrow } from '../store-failure';
import { mayPostType } from './message-rules';
import { chatNew } from './payloads';

/**
 * `chat:new`: stored first (group commit), acknowledged only once committed,
 * then delivered to everyone as `chat:added`. Author fields always come from
 * the token.
 */
export async function chatNewHandler(deps: ChannelDeps, payload: unknown, ctx: ChannelContext<SocketAssigns>): Promise<Reply> {
  const parsed = parsePayload(chatNew, payload);
  if (!parsed.ok) return parsed.reply;
  const identity = ctx.socket.assigns.identity;
  const type: MessageType = parsed.value.type ?? 'chat_message';
  if (!mayPostType(identity.role, type)) return errorReason('forbidden');
  const sessionId = ctx.state.sessionId as string;
  try {
    // The ended-session rule is checked inside the group-commit transaction.
    const { message } = await deps.store.appendMessage(
      {
        session_id: sessionId,
        type,
        author_role: identity.role,
        author_id: identity.sub,
        message: parsed.value.message,
        meta: parsed.value.meta ?? {},
      },
      { requireOpen: true },
    );
    // Committed: acknowledge first, then deliver (even if this channel ended meanwhile).
    ctx.afterReply(() => ctx.broadcast('chat:added', message));
    return ok({ id: message.id, inserted_at: message.inserted_at });
  } catch (err) {
    if (err instanceof SessionEndedError) return errorReason('session_ended');
    return unavailableOrThrow(err);
  }
}
