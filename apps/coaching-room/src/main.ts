import { fetchServerConfig, requestDevToken } from './server-http';
import { identityFor } from './identity';
import { RoomController } from './room-controller';
import { TokenSource } from './token-source';
import { JoinForm, type JoinRequest } from './views/join-form';
import { Notices } from './views/notices';

/**
 * Entry point: the join form, then one room at a time. With no pasted token
 * the page asks the server for a dev token (dev mode only), which also tells
 * it the server offers the simulated AI back end.
 */
const notices = new Notices();
let room: RoomController | null = null;

const form = new JoinForm((request) => void join(request));
form.show();
let serverDevMode: boolean | null = null;
void fetchServerConfig().then((config) => {
  serverDevMode = config?.devMode ?? null;
  if (serverDevMode === false) form.requireToken();
});

async function join(request: JoinRequest): Promise<void> {
  form.setBusy(true);
  const identity = identityFor(request.name, request.role);
  let tokens: TokenSource;
  let devMode = serverDevMode === true;
  try {
    if (request.token !== '') {
      tokens = new TokenSource(request.token, null);
    } else {
      const fetchToken = () => requestDevToken(identity, request.sessionId);
      tokens = new TokenSource(await fetchToken(), fetchToken);
      // Only a dev-mode server answers /dev/token, whatever /config.json said.
      devMode = true;
    }
  } catch (err) {
    form.setBusy(false);
    // fetch() rejects with a TypeError when the server cannot be reached at all.
    const unreachable = !(err instanceof Error) || err instanceof TypeError;
    form.showError(unreachable ? 'Could not reach the server. Please check that it is running and try again.' : err.message);
    return;
  }
  form.hide();
  notices.clear();
  const url = new URL(location.href);
  url.searchParams.set('session', request.sessionId);
  history.replaceState(null, '', url);
  room = new RoomController({
    identity,
    sessionId: request.sessionId,
    tokens,
    devMode,
    notices,
    onExit: (error) => {
      room = null;
      form.show(error);
    },
  });
  room.start();
}

// Leaving the page leaves the channel at once, so the others' presence lists update without waiting for a timeout.
window.addEventListener('pagehide', () => room?.close());
