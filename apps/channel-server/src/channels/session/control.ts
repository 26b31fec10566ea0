import type { SessionState, SessionStatus } from '@cinder/contract';
import { errorReason, ok, type ChannelContext, type Reply } from '@cinder/runtime';
import type { SocketAssigns } from '../assigns';
import type { ChannelDeps } from '../deps';
import { parsePayload } from '../invalid-payload';
import { unavailableOrThrow } from '../store-failure';
import { sessionControl } from './payloads';
import { checkTransition } from './transitions';

function describe(state: SessionState): string {
  return state.current_step ? `Session ${state.status} (${state.current_step})` : `Session ${state.status}`;
}

/**
 * `session:control` (coaches only): the transition is checked and applied
 * under the session's row lock together with the `session_state` message, so
 * concurrent controls cannot both win.
 */
export async function sessionControlHandler(deps: ChannelDeps, payload: unknown, ctx: ChannelContext<SocketAssigns>): Promise<Reply> {
  const identity = ctx.socket.assigns.identity;
  if (identity.role !== 'coach') return errorReason('forbidden');
  const parsed = parsePayload(sessionControl, payload);
  if (!parsed.ok) return parsed.reply;
  const target = parsed.value.status as SessionStatus;
  const sessionId = ctx.state.sessionId as string;
  try {
    const result = await deps.store.updateSession(
      sessionId,
      (current) => {
        const check = checkTransition(current.status, target);
        if (check !== 'ok') return { error: check };
        const next: SessionState = {
          ...current,
          status: target,
          current_step: parsed.value.current_step !== undefined ? parsed.value.current_step : current.current_step,
          coach: current.coach ?? { id: identity.sub, name: identity.name },
          updated_at: Date.now(),
        };
        return { state: next };
      },
      (next) => ({
        session_id: sessionId,
        type: 'session_state',
        author_role: 'coach',
        author_id: identity.sub,
        message: describe(next),
        meta: { status: next.status, current_step: next.current_step },
      }),
    );
    if ('error' in result) return errorReason(result.error);
    ctx.afterReply(() => ctx.broadcast('session:state', result.session));
    return ok(result.session);
  } catch (err) {
    return unavailableOrThrow(err);
  }
}
