import type { Message } from '@cinder/contract';
import { errorReason, ok, type ChannelContext, type Reply } from '@cinder/runtime';
import type { SocketAssigns } from '../assigns';
import type { ChannelDeps } from '../deps';
import { parsePayload } from '../invalid-payload';
import { unavailableOrThrow } from '../store-failure';
import { messageDelete, messageEdit } from './payloads';

type Identity = SocketAssigns['identity'];

const isAuthor = (m: Message, who: Identity) => m.author_id === who.sub && m.author_role === who.role;

/** `message:edit`: only the author, never in an ended session. */
export async function messageEditHandler(deps: ChannelDeps, payload: unknown, ctx: ChannelContext<SocketAssigns>): Promise<Reply> {
  const parsed = parsePayload(messageEdit, payload);
  if (!parsed.ok) return parsed.reply;
  const { id, message } = parsed.value;
  return onStoredMessage(deps, ctx, id, isAuthor, async (sessionId) => {
    const session = await deps.store.getSession(sessionId);
    if (session?.status === 'ended') return errorReason('session_ended');
    const updated = await deps.store.editMessage(sessionId, id, message, Date.now());
    if (!updated) return errorReason('not_found');
    ctx.afterReply(() => ctx.broadcast('message:updated', updated));
    return ok(updated);
  });
}

/** `message:delete`: the author or a coach; history stops returning it. */
export async function messageDeleteHandler(deps: ChannelDeps, payload: unknown, ctx: ChannelContext<SocketAssigns>): Promise<Reply> {
  const parsed = parsePayload(messageDelete, payload);
  if (!parsed.ok) return parsed.reply;
  const { id } = parsed.value;
  const authorOrCoach = (m: Message, who: Identity) => isAuthor(m, who) || who.role === 'coach';
  return onStoredMessage(deps, ctx, id, authorOrCoach, async (sessionId) => {
    if (!(await deps.store.deleteMessage(sessionId, id))) return errorReason('not_found');
    ctx.afterReply(() => ctx.broadcast('message:deleted', { id }));
    return ok({ id });
  });
}

/**
 * What edit and delete share: the message must exist in this channel's
 * session and the sender must be allowed to touch it; a store failure
 * answers `unavailable`.
 */
async function onStoredMessage(
  deps: ChannelDeps,
  ctx: ChannelContext<SocketAssigns>,
  id: string,
  mayTouch: (m: Message, who: Identity) => boolean,
  act: (sessionId: string) => Promise<Reply>,
): Promise<Reply> {
  const sessionId = ctx.state.sessionId as string;
  try {
    const existing = await deps.store.getMessage(sessionId, id);
    if (!existing) return errorReason('not_found');
    if (!mayTouch(existing, ctx.socket.assigns.identity)) return errorReason('forbidden');
    return await act(sessionId);
  } catch (err) {
    return unavailableOrThrow(err);
  }
}
