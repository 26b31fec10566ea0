import type { Identity } from '../auth/identity';

/**
 * Per-socket state kept by the runtime for us. `identity` is replaced when
 * the client refreshes its token in-band (`access_token`).
 */
export interface SocketAssigns {
  identity: Identity;
}
