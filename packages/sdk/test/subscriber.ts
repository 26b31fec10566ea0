import { joinChannel, NodeWebSocket, phoenix18, signToken, waitFor, type PhxSocket } from '@cinder/testkit';

/** A stock phoenix.js 1.8 client that records what one topic receives. */
export async function subscribe(port: number, topic: string, sub = 'sdk-watcher') {
  const socket: PhxSocket = new phoenix18.Socket(`ws://127.0.0.1:${port}/socket`, {
    transport: NodeWebSocket as any,
    params: { token: signToken({ sub, name: sub, role: 'coach', sessions: '*', jobs: '*' }) },
  });
  socket.connect();
  const channel = socket.channel(topic, {});
  const events: Array<{ event: string; payload: any }> = [];
  const original = channel.onMessage.bind(channel);
  channel.onMessage = (event: string, payload: any, ref: any) => {
    if (!event.startsWith('phx_') && !event.startsWith('chan_reply_') && !event.startsWith('presence_')) events.push({ event, payload });
    return original(event, payload, ref);
  };
  const reply = await joinChannel(channel);
  return {
    socket,
    reply,
    events,
    of: (name: string) => events.filter((e) => e.event === name).map((e) => e.payload),
    waitFor: (pred: () => boolean, what: string) => waitFor(pred, what),
    close: () => socket.disconnect(),
  };
}
