import type { ConnectInfo, ConnectResult, Logger } from '@cinder/runtime';
import type { SocketAssigns } from '../channels/assigns';
import type { TokenVerifier } from './token-verifier';

/**
 * The socket's connect callback: the JWT comes from phoenix.js 1.8's
 * `authToken` or the `token` connect param; identity comes from it alone.
 */
export function authenticateSocket(
  verifier: TokenVerifier,
  logger: Logger,
  params: Record<string, unknown>,
  info: ConnectInfo,
): ConnectResult<SocketAssigns> | null {
  const token = info.authToken ?? params.token;
  const result = verifier.verify(token);
  if (!result.ok) {
    logger.info({ transport: info.transport, reason: token === undefined ? 'missing' : result.reason }, 'refused connection: bad token');
    return null;
  }
  return { id: `user_socket:${result.identity.sub}`, assigns: { identity: result.identity } };
}
