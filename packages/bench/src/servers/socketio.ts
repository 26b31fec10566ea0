/**
 * Socket.IO baseline: rooms for topics, `io.to(topic).emit` for broadcasts
 * and, with REDIS_URL, the official Redis adapter for the cluster scenario.
 * WebSocket transport only, as the bench clients use.
 */
import { createServer } from 'node:http';
import { Server } from 'socket.io';
import { createAdapter } from '@socket.io/redis-adapter';
import Redis from 'ioredis';
import { apiHandler, envPort } from './api-endpoint';

const io = new Server({ serveClient: false, transports: ['websocket'], perMessageDeflate: false });
const http = createServer(
  apiHandler(process.env.SERVER_API_KEY ?? '', ({ topic, event, payload }) => {
    io.to(topic).emit(event, payload);
  }),
);
io.attach(http);

if (process.env.REDIS_URL) {
  const pub = new Redis(process.env.REDIS_URL);
  const sub = pub.duplicate();
  io.adapter(createAdapter(pub, sub));
}

io.on('connection', (socket) => {
  socket.on('join', (room: unknown, ack?: (answer: unknown) => void) => {
    if (typeof room !== 'string') {
      ack?.({ error: 'room must be a string' });
      return;
    }
    void socket.join(room);
    ack?.({ ok: true });
  });
});

http.listen(envPort(), process.env.HOST ?? '127.0.0.1');
process.on('SIGTERM', () => process.exit(0));
