/**
 * phoenix.js 1.8 `authToken`: over WebSocket it travels in
 * Sec-WebSocket-Protocol (answered with `phoenix`), over LongPoll in the
 * X-Phoenix-AuthToken header; a bad one is refused as Phoenix refuses.
 */
import { installXMLHttpRequest, joinChannel, NodeWebSocket, phoenix18, signToken, startServer, waitFor, type ServerProcess } from '@cinder/testkit';
import { securedEnv } from '../support/cluster-env';

installXMLHttpRequest();

let server: ServerProcess;
beforeAll(async () => {
  server = await startServer(securedEnv());
});
afterAll(async () => {
  await server.kill();
});

describe.each(['websocket', 'longpoll'] as const)('authToken over %s', (transport) => {
  const make = (authToken: string) =>
    new phoenix18.Socket(`ws://127.0.0.1:${server.port}/socket`, {
      transport: (transport === 'websocket' ? NodeWebSocket : phoenix18.LongPoll) as any,
      authToken,
      reconnectAfterMs: () => 200,
    } as any);

  it('identifies the user from the token', async () => {
    const socket = make(signToken({ sub: 'carol', name: 'Carol', sessions: ['t1'] }));
    socket.connect();
    try {
      const channel = socket.channel('session:t1', {});
      const reply = await joinChannel(channel);
      expect(reply.session.student).toEqual({ id: 'carol', name: 'Carol' });
      await expect(joinChannel(socket.channel('session:t2', {}))).rejects.toMatchObject({ reply: { reason: 'unauthorized' } });
    } finally {
      socket.disconnect();
    }
  });

  it('is refused with a bad token', async () => {
    const socket = make('bad.token.value');
    let errors = 0;
    let opens = 0;
    socket.onError(() => errors++);
    socket.onOpen(() => opens++);
    socket.connect();
    try {
      await waitFor(() => errors > 0, 'refusal');
      expect(opens).toBe(0);
    } finally {
      socket.disconnect();
    }
  });
});
