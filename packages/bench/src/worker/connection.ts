/** What the worker needs from a client connection, whatever the protocol. */
export interface Reply {
  status: string;
  response: unknown;
}

export interface ClientConnection {
  readonly index: number;
  readonly topic: string;
  /** Connects and joins the topic; rejects on failure or timeout. */
  open(timeoutMs: number): Promise<void>;
  /** A push with a reply (Phoenix only). */
  push(event: string, payload: object, timeoutMs: number): Promise<Reply>;
  heartbeat(): void;
  isOpen(): boolean;
  pendingReplies(): number;
  close(): void;
  /** fan-out order check: last sequence seen per publisher in window lastW */
  lastW: number;
  lastSeq: number[];
}

export type EventSink = (conn: ClientConnection, event: string, payload: unknown) => void;
export type DropSink = (conn: ClientConnection) => void;
