import { StoreUnavailableError } from '@cinder/store';
import { errorReason, type Reply } from '@cinder/runtime';

/**
 * The store could not commit: the client hears `unavailable` (and nothing
 * was written). Any other error is a bug and crashes the channel.
 */
export function unavailableOrThrow(err: unknown): Reply {
  if (err instanceof StoreUnavailableError) return errorReason('unavailable');
  throw err;
}
