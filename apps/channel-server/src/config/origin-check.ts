import type { IncomingHttpHeaders } from 'node:http';

interface OriginRule {
  scheme: string | null;
  host: string;
  wildcard: boolean;
  port: string | null;
}

function parseRule(entry: string): OriginRule {
  const url = new URL(entry.startsWith('//') ? `x:${entry}` : entry);
  const schemeGiven = !entry.startsWith('//');
  let host = url.hostname.toLowerCase();
  const wildcard = host.startsWith('*.');
  if (wildcard) host = host.slice(2);
  return { scheme: schemeGiven ? url.protocol.replace(':', '') : null, host, wildcard, port: url.port || null };
}

function effectivePort(url: URL): string {
  if (url.port) return url.port;
  return url.protocol === 'https:' || url.protocol === 'wss:' ? '443' : '80';
}

/**
 * Builds the origin predicate of CHECK_ORIGIN, with Phoenix's list
 * semantics: each entry compares scheme, host and port only where the entry
 * gives them, and `*.example.com` matches the domain and its subdomains.
 * In production without a list only the request's own host is allowed.
 */
export function makeOriginCheck(
  allowed: string[] | null,
  sameHostOnly: boolean,
): ((origin: string, headers: IncomingHttpHeaders) => boolean) | undefined {
  if (allowed === null && !sameHostOnly) return undefined;
  const rules = (allowed ?? []).map(parseRule);
  return (origin, headers) => {
    let url: URL;
    try {
      url = new URL(origin);
    } catch {
      return false;
    }
    if (!url.hostname) return false;
    const host = url.hostname.toLowerCase();
    if (allowed === null) {
      const reqHost = (headers.host ?? '').toLowerCase().replace(/:\d+$/, '');
      return reqHost !== '' && host === reqHost;
    }
    return rules.some((r) => {
      if (r.scheme && r.scheme !== url.protocol.replace(':', '')) return false;
      if (r.wildcard ? !(host === r.host || host.endsWith(`.${r.host}`)) : host !== r.host) return false;
      if (r.port && r.port !== effectivePort(url)) return false;
      return true;
    });
  };
}
