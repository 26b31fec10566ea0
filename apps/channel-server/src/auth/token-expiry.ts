import type { Endpoint, Logger } from '@cinder/runtime';
import type { SocketAssigns } from '../channels/assigns';
import type { Identity } from './identity';

export function identityExpired(identity: Identity, nowMs = Date.now()): boolean {
  return identity.exp !== undefined && identity.exp * 1000 <= nowMs;
}

/**
 * Ends the channels of sockets whose token expired while they were open:
 * each channel gets a `token_expired` push, then `phx_close`. A socket that
 * refreshed its token in-band (`access_token`) has a new expiry and is left
 * alone. The socket itself stays open; joins with the expired token are
 * refused until phoenix.js reconnects with a fresh token from its params
 * function.
 */
export class TokenExpiryWatcher {
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly endpoint: Endpoint<SocketAssigns>,
    private readonly logger: Logger,
    private readonly intervalMs = 1000,
  ) {}

  start(): void {
    this.timer = setInterval(() => this.sweep(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  private sweep(): void {
    const now = Date.now();
    for (const conn of this.endpoint.connections) {
      if (conn.channels.size === 0 || !identityExpired(conn.info.assigns.identity, now)) continue;
      this.logger.info({ socket_id: conn.info.id, channels: conn.channels.size }, 'token expired: closing channels');
      for (const channel of [...conn.channels.values()]) {
        if (channel.phase !== 'joined') continue;
        channel.push('token_expired', { reason: 'token_expired' });
        channel.close('stopped');
      }
    }
  }
}
