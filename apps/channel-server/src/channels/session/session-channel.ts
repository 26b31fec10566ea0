import { defineChannel, errorReason } from '@cinder/runtime';
import { refreshAccessToken } from '../access-token';
import type { SocketAssigns } from '../assigns';
import type { ChannelDeps } from '../deps';
import { chatNewHandler } from './chat';
import { sessionControlHandler } from './control';
import { messageDeleteHandler, messageEditHandler } from './edits';
import { joinSession, keepHeldMessage, trackMember } from './join';
import { frameShareHandler, typingHandler } from './live-events';
import { followSessionState } from './session-status';

/** `session:{id}`: a live coaching session (CONTRACT §5.1). */
export function sessionChannel(deps: ChannelDeps) {
  return defineChannel<SocketAssigns>({
    topic: 'session:*',
    join: (topic, params, ctx) => joinSession(deps, topic, params, ctx),
    afterJoin: (ctx) => trackMember(deps, ctx),
    // a hook on the definition, not a closure per channel: idle sockets stay small
    terminate: (_reason, ctx) => deps.tracker.untrackOwner(ctx),
    keepHeldBroadcast: keepHeldMessage,
    intercept: ['session:state'],
    handleOut: followSessionState,
    replayGuardMs: 5000,
    events: {
      'chat:new': (p, ctx) => chatNewHandler(deps, p, ctx),
      'session:control': (p, ctx) => sessionControlHandler(deps, p, ctx),
      typing: (p, ctx) => typingHandler(p, ctx),
      'frame:share': (p, ctx) => frameShareHandler(deps, p, ctx),
      'message:edit': (p, ctx) => messageEditHandler(deps, p, ctx),
      'message:delete': (p, ctx) => messageDeleteHandler(deps, p, ctx),
      access_token: (p, ctx) => refreshAccessToken(deps.verifier, p, ctx),
    },
    handleIn: () => errorReason('unknown_event'),
  });
}
