import type { Store } from '@cinder/store';
import type { Tracker } from '@cinder/presence';
import type { Logger } from '@cinder/runtime';
import type { TokenVerifier } from '../auth/token-verifier';

/** What the built-in channels need from the node. */
export interface ChannelDeps {
  store: Store;
  tracker: Tracker;
  verifier: TokenVerifier;
  logger: Logger;
  maxFrameBytes: number;
}
