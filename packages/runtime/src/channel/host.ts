import type { Frame, Serializer } from '@cinder/protocol';
import type { PubSub } from '../pubsub/pubsub';
import type { Logger } from '../logger';
import type { SocketInfo } from './context';
import type { Channel } from './channel';

/** The side of a socket connection that its channels talk to. */
export interface ChannelHost<A> {
  readonly info: SocketInfo<A>;
  readonly serializer: Serializer;
  readonly pubsub: PubSub;
  readonly logger: Logger;
  send(frame: Frame): void;
  /** a broadcast frame shared with other subscribers (see TransportSink.sendShared) */
  sendShared(frame: Frame): void;
  /** removes the channel from the socket's table if it is still the registered one */
  forget(channel: Channel<A>): void;
}
