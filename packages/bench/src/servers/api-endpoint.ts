import { IncomingMessage, ServerResponse } from 'node:http';

/**
 * The slice of Cinder's HTTP API the baselines need: `/healthz` for readiness
 * and `POST /api/broadcast {topic, event, payload}` as the fan-out trigger, so
 * every server is driven by exactly the same requests.
 */
export interface BroadcastCall {
  topic: string;
  event: string;
  payload: unknown;
}

export function apiHandler(apiKey: string, broadcast: (call: BroadcastCall) => void) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    if (req.method === 'GET' && req.url === '/healthz') {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
      return;
    }
    if (req.method !== 'POST' || req.url !== '/api/broadcast') {
      // socket.io serves its own path on the same server; leave those alone
      if (!req.url?.startsWith('/socket.io/')) res.writeHead(404).end();
      return;
    }
    if (req.headers.authorization !== `Bearer ${apiKey}`) {
      res.writeHead(401).end('{"error":{"code":"unauthorized","message":"bad key"}}');
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let call: BroadcastCall;
      try {
        call = JSON.parse(Buffer.concat(chunks).toString('utf8')) as BroadcastCall;
        if (typeof call.topic !== 'string' || typeof call.event !== 'string') throw new Error('topic and event are required');
      } catch (err) {
        res.writeHead(400).end(JSON.stringify({ error: { code: 'invalid', message: String(err) } }));
        return;
      }
      broadcast(call);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    });
  };
}

export function envPort(): number {
  const port = Number(process.env.PORT);
  if (!Number.isInteger(port) || port <= 0) throw new Error('PORT must be a port number');
  return port;
}
