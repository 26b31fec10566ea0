import type { Frame } from '@cinder/protocol';

/** What a transport offers the socket: send frames and close. */
export interface TransportSink {
  readonly kind: 'websocket' | 'longpoll';
  send(frame: Frame): void;
  /** close the transport; WebSocket close code semantics (1001 disconnect, 1011 error…) */
  close(code: number, reason: string): void;
}
