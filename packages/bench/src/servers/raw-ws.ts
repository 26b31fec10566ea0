/**
 * The ceiling: a bare `ws` server that encodes each broadcast once as a V2
 * frame and writes the same bytes to every subscriber. It understands just
 * enough of the Phoenix V2 protocol (join, leave, heartbeat) for the bench's
 * Phoenix client driver to use it unchanged.
 */
import { createServer } from 'node:http';
import { WebSocket, WebSocketServer } from 'ws';
import { apiHandler, envPort } from './api-endpoint';

type Frame = [string | null, string | null, string, string, unknown];

const topics = new Map<string, Set<WebSocket>>();
const http = createServer(
  apiHandler(process.env.SERVER_API_KEY ?? '', ({ topic, event, payload }) => {
    const subs = topics.get(topic);
    if (!subs) return;
    const bytes = Buffer.from(JSON.stringify([null, null, topic, event, payload]));
    for (const ws of subs) ws.send(bytes, { binary: false, compress: false });
  }),
);
const wss = new WebSocketServer({ server: http, path: '/socket/websocket', perMessageDeflate: false });

wss.on('connection', (ws) => {
  const joined = new Set<string>();
  ws.on('message', (data, isBinary) => {
    if (isBinary) return;
    let frame: Frame;
    try {
      frame = JSON.parse(data.toString()) as Frame;
    } catch {
      ws.close(1003);
      return;
    }
    const [joinRef, ref, topic, event] = frame;
    if (event === 'phx_join') {
      let subs = topics.get(topic);
      if (!subs) topics.set(topic, (subs = new Set()));
      subs.add(ws);
      joined.add(topic);
    } else if (event === 'phx_leave') {
      topics.get(topic)?.delete(ws);
      joined.delete(topic);
    } else if (event !== 'heartbeat') {
      return;
    }
    ws.send(JSON.stringify([joinRef, ref, topic, 'phx_reply', { status: 'ok', response: {} }]));
  });
  ws.on('close', () => {
    for (const topic of joined) {
      const subs = topics.get(topic);
      subs?.delete(ws);
      if (subs?.size === 0) topics.delete(topic);
    }
  });
});

http.listen(envPort(), process.env.HOST ?? '127.0.0.1');
process.on('SIGTERM', () => process.exit(0));
