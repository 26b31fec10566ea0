import { errorReason, ok, type ChannelContext, type Reply } from '@cinder/runtime';
import { mayAccess } from '../../auth/identity';
import { identityExpired } from '../../auth/token-expiry';
import type { SocketAssigns } from '../assigns';
import type { ChannelDeps } from '../deps';
import { parsePayload } from '../invalid-payload';
import { unavailableOrThrow } from '../store-failure';
import { joinParams } from './payloads';
import { rememberStatus } from './session-status';
import { topicId } from './topic-id';

const DEFAULT_HISTORY = 50;
const SINCE_CAP = 500;

/**
 * Authorizes a member from the token's `sessions` claim, creates unknown
 * sessions as `waiting`, and answers with the session state and either the
 * latest history or exactly what was missed after `since`.
 */
export async function joinSession(deps: ChannelDeps, topic: string, params: unknown, ctx: ChannelContext<SocketAssigns>): Promise<Reply> {
  const sessionId = topicId(topic, 'session:');
  const identity = ctx.socket.assigns.identity;
  if (identityExpired(identity)) return errorReason('token_expired');
  if (sessionId === null || !mayAccess(identity.sessions, sessionId)) return errorReason('unauthorized');
  const parsed = parsePayload(joinParams, params ?? {});
  if (!parsed.ok) return parsed.reply;
  const { history, since } = parsed.value;
  try {
    // One page past the cap tells whether the client missed more than we replay.
    const page = since !== undefined && since !== null ? { after: since, limit: SINCE_CAP + 1 } : { latest: history ?? DEFAULT_HISTORY };
    const opened = await deps.store.openSession(sessionId, { id: identity.sub, name: identity.name, role: identity.role }, page);
    const session = opened.session;
    let messages = opened.messages;
    let recovered = true;
    if ('after' in page) {
      recovered = messages.length <= SINCE_CAP;
      messages = messages.slice(0, SINCE_CAP);
    }
    ctx.state.sessionId = sessionId;
    rememberStatus(ctx, session);
    // Broadcasts held during the join that the reply already contains are dropped (see keepHeldMessage).
    const last = messages.length > 0 ? Number(messages[messages.length - 1].id) : since ? Number(since) : 0;
    ctx.state.replayedUpTo = last;
    return ok({ session, messages, recovered });
  } catch (err) {
    return unavailableOrThrow(err);
  }
}

/**
 * Presence after the reply: the joiner first gets the current state, then
 * everyone (the joiner included) gets the diff adding this tab. The
 * channel's `terminate` untracks it.
 */
export function trackMember(deps: ChannelDeps, ctx: ChannelContext<SocketAssigns>): void {
  const identity = ctx.socket.assigns.identity;
  ctx.push('presence_state', deps.tracker.list(ctx.topic));
  deps.tracker.track(ctx, ctx.topic, identity.sub, { name: identity.name, role: identity.role, online_at: Date.now() });
}

/**
 * The channel subscribes before the history query runs, so a message stored
 * meanwhile is never missed; if the query already returned it, its live
 * broadcast (chat:added or a persisted API event, both carrying the stored
 * id) is dropped so the client sees it exactly once. Ids grow in commit order
 * within a session, so an id at or below the reply's last one is always in
 * the reply; this also holds for broadcasts arriving shortly after it.
 */
export function keepHeldMessage(event: string, payload: unknown, ctx: ChannelContext<SocketAssigns>): boolean {
  if (event === 'message:updated' || event === 'message:deleted') return true;
  const p = payload as { id?: unknown; inserted_at?: unknown } | null;
  if (!p || typeof p !== 'object' || typeof p.inserted_at !== 'string') return true;
  const id = typeof p.id === 'string' || typeof p.id === 'number' ? Number(p.id) : NaN;
  const upTo = typeof ctx.state.replayedUpTo === 'number' ? ctx.state.replayedUpTo : 0;
  return !(id <= upTo);
}
