import { joinChannel, NodeWebSocket, phoenix18, signToken, type PhxChannel, type PhxSocket, type TestClaims } from '@cinder/testkit';

/** A stock phoenix.js 1.8 socket with a signed token, plus cleanup bookkeeping. */
export class Clients {
  private readonly sockets: PhxSocket[] = [];
  constructor(private readonly port: () => number) {}

  socket(claims: TestClaims, opts: Record<string, unknown> = {}): PhxSocket {
    const s = new phoenix18.Socket(`ws://127.0.0.1:${this.port()}/socket`, {
      transport: NodeWebSocket as any,
      params: { token: signToken(claims) },
      reconnectAfterMs: () => 100,
      rejoinAfterMs: () => 200,
      ...opts,
    });
    s.connect();
    this.sockets.push(s);
    return s;
  }

  /** Joins `topic` as the given user and records every event the channel receives. */
  async join(claims: TestClaims, topic: string, params: object | (() => object) = {}) {
    const socket = this.socket(claims);
    const channel = socket.channel(topic, params as object);
    const events: Array<{ event: string; payload: any }> = [];
    const origOnMessage = channel.onMessage.bind(channel);
    channel.onMessage = (event: string, payload: any, ref: any) => {
      // phoenix.js reports a push that timed out after its socket closed with a null event.
      if (typeof event === 'string' && !event.startsWith('phx_') && !event.startsWith('chan_reply_')) events.push({ event, payload });
      return origOnMessage(event, payload, ref);
    };
    const reply = await joinChannel(channel);
    return { socket, channel, reply, events, of: (name: string) => events.filter((e) => e.event === name).map((e) => e.payload) };
  }

  closeAll(): void {
    for (const s of this.sockets.splice(0)) s.disconnect();
  }
}

export type Joined = Awaited<ReturnType<Clients['join']>>;
export type { PhxChannel };
