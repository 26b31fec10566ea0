import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';

export type RawHandler = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * One HTTP server for everything. The socket paths go straight to the
 * transports (they speak Phoenix's exact HTTP dialect, not JSON-API), the
 * rest is a Fastify app. Non-upgrade requests to the WebSocket path get 400,
 * as on Phoenix.
 */
export function createHttpApp(opts: { longpoll: RawHandler; websocketPath: string; longpollPath: string; bodyLimit: number }): {
  app: FastifyInstance;
  server: () => Server;
} {
  let server: Server | null = null;
  const app = Fastify({
    logger: false,
    bodyLimit: opts.bodyLimit,
    // Ids are validated by the routes' schemas (up to 200 characters, more
    // once percent-encoded); the router's default of 100 would refuse them first.
    routerOptions: { maxParamLength: 2048 },
    // Router-level refusals (an undecodable URL, an over-long segment) happen
    // before any route or plugin error handler; answer them in the API's shape.
    frameworkErrors: (err, _req, reply) => {
      void (reply as FastifyReply).code(400).send({ error: { code: 'invalid_request', message: err.message } });
    },
    serverFactory: (fastifyHandler) => {
      server = createServer((req, res) => {
        const url = req.url ?? '/';
        const q = url.indexOf('?');
        const path = q < 0 ? url : url.slice(0, q);
        if (path === opts.longpollPath) return opts.longpoll(req, res);
        if (path === opts.websocketPath) {
          res.statusCode = 400;
          res.end();
          return;
        }
        fastifyHandler(req, res);
      });
      server.keepAliveTimeout = 65_000;
      return server;
    },
  });
  return {
    app,
    server: () => {
      if (!server) throw new Error('HTTP server not created yet');
      return server;
    },
  };
}
