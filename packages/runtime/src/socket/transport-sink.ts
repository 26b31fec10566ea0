import type { Frame } from '@cinder/protocol';

/** What a transport offers the socket: send frames and close. */
export interface TransportSink {
  readonly kind: 'websocket' | 'longpoll';
  sendFrame(frame: Frame): void;
  /**
   * A frame that many other sockets receive too (a broadcast's fastlane
   * frame): the transport may wrap it once and reuse the result.
   */
  sendShared(frame: Frame): void;
  /** close the transport; WebSocket close code semantics (1001 disconnect, 1011 error…) */
  closeTransport(code: number, reason: string): void;
}
