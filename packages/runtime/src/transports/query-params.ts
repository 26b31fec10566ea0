/**
 * Decodes a query string the way Plug does for connect params: `a[b]=c`
 * nests, a repeated key keeps its last value, every leaf is a string.
 * Keys that could pollute prototypes are dropped.
 */
export function parseQuery(search: string): Record<string, unknown> {
  const out: Record<string, unknown> = Object.create(null);
  const query = search.startsWith('?') ? search.slice(1) : search;
  if (query === '') return out;
  for (const part of query.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const rawKey = eq < 0 ? part : part.slice(0, eq);
    const rawValue = eq < 0 ? '' : part.slice(eq + 1);
    let key: string;
    let value: string;
    try {
      key = decodeURIComponent(rawKey.replace(/\+/g, ' '));
      value = decodeURIComponent(rawValue.replace(/\+/g, ' '));
    } catch {
      continue;
    }
    assign(out, key, value);
  }
  return out;
}

const FORBIDDEN = new Set(['__proto__', 'constructor', 'prototype']);

function assign(target: Record<string, unknown>, key: string, value: string): void {
  const open = key.indexOf('[');
  if (open <= 0 || !key.endsWith(']')) {
    if (!FORBIDDEN.has(key)) target[key] = value;
    return;
  }
  const path = [key.slice(0, open), ...key.slice(open + 1, -1).split('][')];
  let node = target;
  for (let i = 0; i < path.length - 1; i++) {
    const k = path[i];
    if (FORBIDDEN.has(k)) return;
    const next = node[k];
    if (next === null || typeof next !== 'object') node[k] = Object.create(null);
    node = node[k] as Record<string, unknown>;
  }
  const last = path[path.length - 1];
  if (!FORBIDDEN.has(last)) node[last] = value;
}

/** The first value of a key (LongPoll puts the session `token` after the connect param). */
export function firstQueryValue(search: string, name: string): string | undefined {
  const query = search.startsWith('?') ? search.slice(1) : search;
  for (const part of query.split('&')) {
    const eq = part.indexOf('=');
    const k = eq < 0 ? part : part.slice(0, eq);
    if (k === name) {
      try {
        return decodeURIComponent((eq < 0 ? '' : part.slice(eq + 1)).replace(/\+/g, ' '));
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}
