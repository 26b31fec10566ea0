import { connect, createServer, type Server, type Socket } from 'node:net';

/**
 * A plain TCP relay in front of the server for one browser page: while shut,
 * it drops every new connection, as a network outage would. It lets a test
 * keep one page away from a restarted server while another client talks to
 * it, without touching the page or the server.
 */
export class TcpGate {
  private shut = false;
  private readonly sockets = new Set<Socket>();

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  static start(targetPort: number): Promise<TcpGate> {
    return new Promise((resolve, reject) => {
      let gate: TcpGate;
      const server = createServer((client) => gate.relay(client, targetPort));
      server.on('error', reject);
      server.listen(0, '127.0.0.1', () => {
        const addr = server.address();
        gate = new TcpGate(server, typeof addr === 'object' && addr ? addr.port : 0);
        resolve(gate);
      });
    });
  }

  /** New connections are dropped until {@link open}; existing ones are left to end by themselves. */
  close(): void {
    this.shut = true;
  }

  /** An outage: drops the connections in flight too. */
  cut(): void {
    this.shut = true;
    for (const s of this.sockets) s.destroy();
  }

  open(): void {
    this.shut = false;
  }

  stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private relay(client: Socket, targetPort: number): void {
    if (this.shut) {
      client.destroy();
      return;
    }
    const upstream = connect(targetPort, '127.0.0.1');
    for (const s of [client, upstream]) {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    }
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
    client.pipe(upstream);
    upstream.pipe(client);
  }
}
