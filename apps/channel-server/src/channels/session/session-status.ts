import type { SessionState, SessionStatus } from '@cinder/contract';
import type { ChannelContext } from '@cinder/runtime';
import type { SocketAssigns } from '../assigns';

/**
 * Each session channel keeps the session's status: read at join, then
 * followed through the `session:state` broadcasts every node delivers (the
 * channel intercepts that event). Rules checked per event without a store
 * round trip (typing) read it here; writes still check in the database.
 */
export function rememberStatus(ctx: ChannelContext<SocketAssigns>, state: SessionState): void {
  const seenAt = typeof ctx.state.statusAt === 'number' ? ctx.state.statusAt : -1;
  // A state held during the join may be older than the one the join read.
  if (state.updated_at < seenAt) return;
  ctx.state.status = state.status;
  ctx.state.statusAt = state.updated_at;
}

export function knownStatus(ctx: ChannelContext<SocketAssigns>): SessionStatus | undefined {
  return ctx.state.status as SessionStatus | undefined;
}

/** handle_out for `session:state`: note the status, deliver as usual. */
export function followSessionState(event: string, payload: unknown, ctx: ChannelContext<SocketAssigns>): void {
  if (event === 'session:state' && payload && typeof payload === 'object') rememberStatus(ctx, payload as SessionState);
  ctx.push(event, payload);
}
