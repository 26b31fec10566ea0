import type { Identity } from './identity';

/** The server has no `/dev/token`: it runs with a real JWT secret, not in dev mode. */
export class NotDevModeError extends Error {
  constructor() {
    super('This server is not in dev mode, so it does not hand out tokens. Paste a token issued by your back end.');
  }
}

async function errorText(res: Response): Promise<string> {
  try {
    const body = (await res.json()) as { error?: { message?: unknown } };
    if (typeof body.error?.message === 'string') return body.error.message;
  } catch {
    // not JSON: fall back to the status line
  }
  return `the server answered ${res.status}`;
}

/** `GET /dev/token` (dev mode only): a token for this session and its analysis jobs. */
export async function requestDevToken(identity: Identity, sessionId: string): Promise<string> {
  const query = new URLSearchParams({
    sub: identity.userId,
    name: identity.name,
    role: identity.role,
    sessions: sessionId,
    // The page follows `job:{id}` topics announced in the session, whose ids it cannot know ahead.
    jobs: '*',
  });
  const res = await fetch(`/dev/token?${query.toString()}`, { headers: { accept: 'application/json' } });
  if (res.status === 404) throw new NotDevModeError();
  if (!res.ok) throw new Error(`Could not get a dev token: ${await errorText(res)}.`);
  const body = (await res.json()) as { token?: unknown };
  if (typeof body.token !== 'string') throw new Error('Could not get a dev token: the answer had no token.');
  return body.token;
}

/**
 * `POST /dev/simulate-analysis` (dev mode only): the server plays an AI back
 * end — job progress on `job:{job_id}`, then a stored `ai:feedback` in the
 * session — exactly as a real back end would through the server API.
 */
export async function simulateAnalysis(sessionId: string): Promise<string> {
  const res = await fetch('/dev/simulate-analysis', {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({ session_id: sessionId }),
  });
  if (!res.ok) throw new Error(`The analysis could not start: ${await errorText(res)}.`);
  const body = (await res.json()) as { job_id?: unknown };
  if (typeof body.job_id !== 'string' && typeof body.job_id !== 'number') throw new Error('The analysis could not start: no job id came back.');
  return String(body.job_id);
}

/** `GET /config.json`: whether the server runs in dev mode; null when it cannot say. */
export async function fetchServerConfig(): Promise<{ devMode: boolean } | null> {
  try {
    const res = await fetch('/config.json', { headers: { accept: 'application/json' } });
    if (!res.ok) return null;
    const body = (await res.json()) as { devMode?: unknown };
    return typeof body.devMode === 'boolean' ? { devMode: body.devMode } : null;
  } catch {
    return null;
  }
}
