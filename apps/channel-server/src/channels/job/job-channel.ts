import { defineChannel, errorReason, ok } from '@cinder/runtime';
import { mayAccess } from '../../auth/identity';
import { identityExpired } from '../../auth/token-expiry';
import { refreshAccessToken } from '../access-token';
import type { SocketAssigns } from '../assigns';
import type { ChannelDeps } from '../deps';
import { unavailableOrThrow } from '../store-failure';
import { topicId } from '../session/topic-id';
import { publicJobState } from './job-state';

/**
 * `job:{id}` (CONTRACT §5.2): subscribe-only progress of a back-end job. The
 * join reply carries the latest state, so a client that subscribes late (or
 * early, before the job was ever posted) misses nothing.
 */
export function jobChannel(deps: ChannelDeps) {
  return defineChannel<SocketAssigns>({
    topic: 'job:*',
    async join(topic, _params, ctx) {
      const jobId = topicId(topic, 'job:');
      if (jobId === null) return errorReason('unauthorized');
      const identity = ctx.socket.assigns.identity;
      if (identityExpired(identity)) return errorReason('token_expired');
      try {
        const job = await deps.store.getJob(jobId);
        if (!mayAccess(identity.jobs, jobId) && job.owner_id !== identity.sub) return errorReason('unauthorized');
        return ok({ job: publicJobState(job) });
      } catch (err) {
        return unavailableOrThrow(err);
      }
    },
    events: {
      access_token: (p, ctx) => refreshAccessToken(deps.verifier, p, ctx),
    },
    handleIn: () => errorReason('forbidden'),
  });
}
