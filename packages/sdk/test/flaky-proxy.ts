import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A loopback HTTP proxy in front of a real server that can lose answers: the
 * request is forwarded and fully handled upstream, then the client's
 * connection is cut instead of relaying the response — the failure that
 * makes a client retry something that already happened.
 */
export class FlakyProxy {
  /** requests that reached the upstream server, in order */
  readonly forwarded: Array<{ method: string; path: string; body: string }> = [];
  private dropping = 0;
  private server: Server | null = null;
  url = '';

  constructor(private readonly upstream: string) {}

  /** the next `n` responses are lost after the upstream handled the request */
  dropResponses(n: number): void {
    this.dropping = n;
  }

  async start(): Promise<this> {
    const target = new URL(this.upstream);
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        this.forwarded.push({ method: req.method ?? 'GET', path: req.url ?? '/', body: body.toString('utf8') });
        const up = httpRequest(
          { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: { ...req.headers, host: target.host } },
          (upRes) => {
            const out: Buffer[] = [];
            upRes.on('data', (c: Buffer) => out.push(c));
            upRes.on('end', () => {
              if (this.dropping > 0) {
                this.dropping -= 1;
                req.socket.destroy();
                return;
              }
              res.writeHead(upRes.statusCode ?? 502, upRes.headers);
              res.end(Buffer.concat(out));
            });
          },
        );
        up.on('error', () => req.socket.destroy());
        up.end(body);
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    const s = this.server;
    if (!s) return;
    this.server = null;
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }
}
