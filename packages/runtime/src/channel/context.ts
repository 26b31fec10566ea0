import type { Ref } from '@cinder/protocol';
import type { TerminateReason } from './definition';

/** What a channel knows about the socket it lives on. */
export interface SocketInfo<A> {
  /** the socket id (`user_socket:{sub}`), or null for anonymous sockets */
  readonly id: string | null;
  /** what `authenticate` returned for this connection */
  readonly assigns: A;
  readonly transport: 'websocket' | 'longpoll';
  readonly vsn: string;
  /** false for V1 and LongPoll: binary payloads reach them as {"base64": …} */
  readonly binaryFrames: boolean;
}

/** The API a channel's callbacks get, one per joined channel instance. */
export interface ChannelContext<A = unknown> {
  readonly topic: string;
  readonly joinRef: Ref;
  readonly socket: SocketInfo<A>;
  /** free per-channel state for the channel's own use */
  readonly state: Record<string, unknown>;
  /** push to this client only; a Uint8Array goes as a binary frame where possible */
  push(event: string, payload: unknown): void;
  /** to every subscriber of the topic on every node, this one included */
  broadcast(event: string, payload: unknown): void;
  /** to every subscriber of the topic on every node except this channel */
  broadcastFrom(event: string, payload: unknown): void;
  /**
   * runs `fn` right after the reply of the handler in progress is sent
   * (e.g. broadcast a stored message after acknowledging it); at once when
   * no reply is pending or the channel has ended
   */
  afterReply(fn: () => void): void;
  /** ends the channel normally (phx_close) after the current reply */
  stop(): void;
  /** runs when the channel ends for any reason, before `terminate` */
  onTerminate(fn: (reason: TerminateReason) => void): void;
  /** true while the channel is joined (false once it ended) */
  readonly alive: boolean;
}
