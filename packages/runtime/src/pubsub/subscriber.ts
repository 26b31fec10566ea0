import type { Frame, Serializer } from '@cinder/protocol';
import type { Broadcast } from './broadcast';

/**
 * Something subscribed to a topic on this node. Channels are "fastlane"
 * subscribers: they have a serializer and receive the already-encoded frame,
 * shared with every other subscriber using the same serializer. Subscribers
 * without a serializer (socket-id listeners, LongPoll routing, the tracker)
 * receive the Broadcast itself.
 */
export interface Subscriber {
  /** null: not a fastlane subscriber */
  readonly serializer: Serializer | null;
  /** events this subscriber wants to see as a Broadcast (handle_out) */
  readonly intercepts: ReadonlySet<string> | null;
  /** `msg` is the broadcast the frame encodes (for subscribers that must look at it) */
  deliverFrame(frame: Frame, msg: Broadcast): void;
  deliverBroadcast(msg: Broadcast): void;
}
