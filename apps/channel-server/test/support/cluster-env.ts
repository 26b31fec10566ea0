import { TEST_API_KEY, TEST_JWT_SECRET } from '@cinder/testkit';

/** The env of a server with fixed secrets (not dev mode), so tests sign their own tokens. */
export function securedEnv(extra: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  return { JWT_SECRET: TEST_JWT_SECRET, SERVER_API_KEY: TEST_API_KEY, ...extra };
}

export async function api(baseUrl: string, method: string, path: string, body?: unknown, key: string | null = TEST_API_KEY) {
  const res = await fetch(`${baseUrl}${path}`, {
    method,
    headers: {
      ...(key !== null ? { authorization: `Bearer ${key}` } : {}),
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let json: any = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = text;
  }
  return { status: res.status, body: json };
}
