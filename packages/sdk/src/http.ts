import { CinderApiError, CinderNetworkError } from './errors';
import { encodeJson } from './json';

export interface HttpOptions {
  url: string;
  apiKey: string;
  timeoutMs: number;
  fetch: typeof fetch;
}

/** One JSON request to the server API; errors become typed exceptions. */
export async function request<T>(opts: HttpOptions, method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
  const text = body !== undefined ? encodeJson(body, 'request body') : undefined;
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), opts.timeoutMs);
  let res: Response;
  try {
    res = await opts.fetch(new URL(path, opts.url), {
      method,
      headers: {
        authorization: `Bearer ${opts.apiKey}`,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      body: text,
      signal: controller.signal,
    });
  } catch (err) {
    throw new CinderNetworkError(`${method} ${path} failed: ${err instanceof Error ? err.message : String(err)}`, err);
  } finally {
    clearTimeout(timer);
  }
  const answer = await res.text();
  let data: unknown = undefined;
  try {
    data = answer === '' ? undefined : JSON.parse(answer);
  } catch {
    /* not JSON */
  }
  if (!res.ok) {
    const err = (data as { error?: { code?: string; message?: string } } | undefined)?.error;
    throw new CinderApiError(res.status, err?.code ?? `http_${res.status}`, err?.message ?? (answer || res.statusText));
  }
  return data as T;
}
