import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import type { IncomingHttpHeaders } from 'node:http';
import { showFrame as show, matchFrame, RefMap, type RecordedFrame } from './frame-match';
import { RawClient, type Received } from './raw-client';

/** Frames captured from real Phoenix 1.8.12 (a copy of shared/spec/phoenix-transcripts, kept with the tests). */
export const TRANSCRIPT_DIR = path.resolve(__dirname, '../transcripts');

/** One line of a capture (see the transcripts' README for the fields). */
export interface Line {
  readonly dir: string;
  readonly conn?: string;
  readonly url?: string;
  readonly protocols?: string[];
  readonly status?: number;
  readonly headers?: Record<string, string>;
  readonly body?: string;
  readonly type?: 'text' | 'binary';
  readonly frame?: string;
  readonly hex?: string;
  readonly code?: number;
  readonly initiated_by?: 'client' | 'server';
}

/** The WebSocket captures; LongPoll ones are replayed elsewhere. */
export function websocketTranscripts(): string[] {
  return readdirSync(TRANSCRIPT_DIR)
    .filter((f) => f.endsWith('.jsonl') && !f.startsWith('longpoll_'))
    .sort();
}

export function loadTranscript(file: string): Line[] {
  return readFileSync(path.join(TRANSCRIPT_DIR, file), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Line);
}

export interface ReplayTarget {
  /** maps a recorded path+query to a ws:// URL of the server under test */
  url(pathAndQuery: string): string;
}

const FRAME_TIMEOUT_MS = 2000;

function recorded(line: Line): RecordedFrame {
  return line.type === 'binary' ? { type: 'binary', hex: line.hex ?? '' } : { type: 'text', frame: line.frame ?? '' };
}

/** The event of a text frame in either serializer's shape (null for binary or junk). */
function eventOf(text: string | undefined): string | null {
  if (text === undefined) return null;
  try {
    const v = JSON.parse(text) as unknown;
    if (Array.isArray(v)) return typeof v[3] === 'string' ? v[3] : null;
    if (v !== null && typeof v === 'object') {
      const e = (v as Record<string, unknown>).event;
      return typeof e === 'string' ? e : null;
    }
  } catch {
    // not JSON: a malformed-frame case
  }
  return null;
}

/**
 * Two adjacent frames whose order Phoenix itself does not fix: presence_state
 * and the joiner's own presence_diff race (README), and a duplicate join's
 * reply and the old channel's phx_close may come either way (protocol §3.5).
 */
function unordered(a: Line, b: Line, lastSent: string | null): boolean {
  const pair = new Set([eventOf(a.frame), eventOf(b.frame)]);
  if (pair.has('presence_state') && pair.has('presence_diff')) return true;
  return lastSent === 'phx_join' && pair.has('phx_reply') && pair.has('phx_close');
}

function headerCheck(what: string, want: Record<string, string>, got: IncomingHttpHeaders, names: string[]): string[] {
  const problems: string[] = [];
  for (const name of names) {
    const w = want[name];
    const g = got[name];
    if (w === undefined && g !== undefined) problems.push(`${what}: unexpected ${name}: ${String(g)}`);
    if (w !== undefined && g !== w) problems.push(`${what}: ${name} should be ${JSON.stringify(w)}, got ${JSON.stringify(g)}`);
  }
  return problems;
}

/**
 * Replays one capture against a server: the recorded `send` frames go out in
 * order per connection, and everything the server answers is compared with
 * the recorded `recv`, `http_*` and `close` lines. Frames are matched per
 * connection (the order between connections is not part of the protocol).
 * Before each client close, a heartbeat barrier proves no extra frame came.
 * Throws with the first difference.
 */
export async function replay(lines: readonly Line[], target: ReplayTarget): Promise<void> {
  const clients = new Map<string, RawClient>();
  const lastSent = new Map<string, string | null>();
  const refs = new RefMap();
  /** partner lines of unordered pairs, already matched */
  const consumed = new Set<number>();
  const fail = (i: number, msg: string): never => {
    throw new Error(`line ${i + 1} (${lines[i].conn ?? '-'} ${lines[i].dir}): ${msg}`);
  };
  const clientOf = (i: number): RawClient => {
    const c = clients.get(lines[i].conn ?? '');
    if (!c) fail(i, 'no open connection');
    return c as RawClient;
  };
  const nextOn = async (i: number, c: RawClient): Promise<Received> => {
    try {
      return await c.next(FRAME_TIMEOUT_MS);
    } catch (err) {
      return fail(i, `expected ${show(recorded(lines[i]))}, but ${(err as Error).message}`);
    }
  };

  for (let i = 0; i < lines.length; i++) {
    if (consumed.has(i)) continue;
    const line = lines[i];
    switch (line.dir) {
      case 'case':
      case 'note':
      case 'open':
      case 'http_upgrade':
      case 'http_response':
        // handshake answers are checked together with their `connect`
        break;

      case 'connect': {
        const u = new URL(line.url ?? '');
        const answer = lines.slice(i + 1).find((l) => l.conn === line.conn && (l.dir === 'http_upgrade' || l.dir === 'http_response'));
        if (!answer) fail(i, 'the capture has no handshake answer');
        const hs = await RawClient.connect(target.url(u.pathname + u.search), { protocols: line.protocols });
        const want = answer as Line;
        if (want.dir === 'http_upgrade') {
          if (hs.kind !== 'open') return fail(i, `expected 101, got ${hs.status} ${JSON.stringify(hs.body)}`);
          const problems = headerCheck('101', want.headers ?? {}, hs.headers, ['sec-websocket-protocol']);
          if (problems.length) fail(i, problems.join('; '));
          clients.set(line.conn ?? '', hs.client);
        } else {
          if (hs.kind !== 'refused') {
            hs.client.close();
            return fail(i, `expected HTTP ${want.status}, got 101`);
          }
          const problems: string[] = [];
          if (hs.status !== want.status) problems.push(`status should be ${want.status}, got ${hs.status}`);
          if (hs.body !== want.body) problems.push(`body should be ${JSON.stringify(want.body)}, got ${JSON.stringify(hs.body)}`);
          problems.push(...headerCheck(String(want.status), want.headers ?? {}, hs.headers, ['content-length', 'sec-websocket-protocol']));
          if (problems.length) fail(i, problems.join('; '));
        }
        break;
      }

      case 'send': {
        const c = clientOf(i);
        if (line.type === 'binary') c.sendBinary(Buffer.from(line.hex ?? '', 'hex'));
        else c.sendText(line.frame ?? '');
        lastSent.set(line.conn ?? '', line.type === 'binary' ? null : eventOf(line.frame));
        break;
      }

      case 'recv': {
        const c = clientOf(i);
        const conn = line.conn ?? '';
        // The partner of an unordered pair: the next line of this connection, if it is a recv.
        let j = i + 1;
        while (j < lines.length && lines[j].conn !== conn) j++;
        const paired = j < lines.length && lines[j].dir === 'recv' && unordered(line, lines[j], lastSent.get(conn) ?? null);
        if (!paired) {
          const got = await nextOn(i, c);
          const why = matchFrame(recorded(line), got, refs);
          if (why) fail(i, why);
          break;
        }
        const first = await nextOn(i, c);
        const second = await nextOn(j, c);
        const inOrder = refs.clone();
        const whyInOrder = matchFrame(recorded(line), first, inOrder) ?? matchFrame(recorded(lines[j]), second, inOrder);
        if (!whyInOrder) {
          refs.adopt(inOrder);
        } else {
          const swapped = refs.clone();
          const whySwapped = matchFrame(recorded(line), second, swapped) ?? matchFrame(recorded(lines[j]), first, swapped);
          if (whySwapped) fail(i, whyInOrder);
          refs.adopt(swapped);
        }
        consumed.add(j);
        break;
      }

      case 'client_close': {
        const c = clientOf(i);
        try {
          await c.expectQuiet();
        } catch (err) {
          fail(i, (err as Error).message);
        }
        c.close(line.code ?? 1000);
        break;
      }

      case 'close': {
        const c = clientOf(i);
        const timeout = new Promise<null>((resolve) => setTimeout(() => resolve(null), FRAME_TIMEOUT_MS).unref());
        const info = await Promise.race([c.closed, timeout]);
        if (!info) return fail(i, `expected close ${line.code}, the socket stayed open`);
        const problems: string[] = [];
        if (info.code !== line.code) problems.push(`close code should be ${line.code}, got ${info.code}`);
        const byClient = line.initiated_by === 'client';
        if (info.byClient !== byClient) problems.push(`close should be started by the ${line.initiated_by}`);
        if (c.pending().length > 0) problems.push(`frames arrived before the close: ${c.pending().map(show).join(', ')}`);
        if (problems.length) fail(i, problems.join('; '));
        clients.delete(line.conn ?? '');
        break;
      }

      default:
        fail(i, `unknown line kind ${line.dir}`);
    }
  }
  const leftover = [...clients.keys()];
  for (const c of clients.values()) c.close();
  if (leftover.length) throw new Error(`the capture ended with connections still open: ${leftover.join(', ')}`);
}
