import { errorReason, ok, type ChannelContext, type Reply } from '@cinder/runtime';
import type { SocketAssigns } from '../assigns';
import type { ChannelDeps } from '../deps';
import { parsePayload } from '../invalid-payload';
import { unavailableOrThrow } from '../store-failure';
import { messageDelete, messageEdit } from './payloads';

/** `message:edit`: only the author, never in an ended session. */
export async function messageEditHandler(deps: ChannelDeps, payload: unknown, ctx: ChannelContext<SocketAssigns>): Promise<Reply> {
  const parsed = parsePayload(messageEdit, payload);
  if (!parsed.ok) return parsed.reply;
  const identity = ctx.socket.assigns.identity;
  const sessionId = ctx.state.sessionId as string;
  try {
    const existing = await deps.store.getMessage(sessionId, parsed.value.id);
    if (!existing) return errorReason('not_found');
    if (existing.author_id !== identity.sub || existing.author_role !== identity.role) return errorReason('forbidden');
    const session = await deps.store.getSession(sessionId);
    if (session?.status === 'ended') return errorReason('session_ended');
    const updated = await deps.store.editMessage(sessionId, parsed.value.id, parsed.value.message, Date.now());
    if (!updated) return errorReason('not_found');
    ctx.afterReply(() => ctx.broadcast('message:updated', updated));
    return ok(updated);
  } catch (err) {
    return unavailableOrThrow(err);
  }
}

/** `message:delete`: the author or a coach; history stops returning it. */
export async function messageDeleteHandler(deps: ChannelDeps, payload: unknown, ctx: ChannelContext<SocketAssigns>): Promise<Reply> {
  const parsed = parsePayload(messageDelete, payload);
  if (!parsed.ok) return parsed.reply;
  const identity = ctx.socket.assigns.identity;
  const sessionId = ctx.state.sessionId as string;
  try {
    const existing = await deps.store.getMessage(sessionId, parsed.value.id);
    if (!existing) return errorReason('not_found');
    const isAuthor = existing.author_id === identity.sub && existing.author_role === identity.role;
    if (!isAuthor && identity.role !== 'coach') return errorReason('forbidden');
    const deleted = await deps.store.deleteMessage(sessionId, parsed.value.id);
    if (!deleted) return errorReason('not_found');
    const id = parsed.value.id;
    ctx.afterReply(() => ctx.broadcast('message:deleted', { id }));
    return ok({ id });
  } catch (err) {
    return unavailableOrThrow(err);
  }
}
