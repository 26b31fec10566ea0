import { defineChannel, errorReason, ok } from '@cinder/runtime';
import { refreshAccessToken } from '../access-token';
import { identityExpired } from '../../auth/token-expiry';
import type { SocketAssigns } from '../assigns';
import type { ChannelDeps } from '../deps';
import { topicId } from '../session/topic-id';

/** `user:{id}` (CONTRACT §5.3): private notifications, only for that user. */
export function userChannel(deps: ChannelDeps) {
  return defineChannel<SocketAssigns>({
    topic: 'user:*',
    join(topic, _params, ctx) {
      if (identityExpired(ctx.socket.assigns.identity)) return errorReason('token_expired');
      const userId = topicId(topic, 'user:');
      if (userId === null || userId !== ctx.socket.assigns.identity.sub) return errorReason('unauthorized');
      return ok({});
    },
    events: {
      access_token: (p, ctx) => refreshAccessToken(deps.verifier, p, ctx),
    },
    handleIn: () => errorReason('forbidden'),
  });
}
