/**
 * Steady chat load for chaos tests: each chatter is one stock phoenix.js
 * client in a session that pushes `chat:new` one at a time, notes the outcome
 * of every push, and rejoins with `since` = the highest id it has seen, as a
 * real client would. Nothing is deduplicated here, so a message delivered
 * twice shows up twice.
 */
import { pushAndWait, type TestClaims } from '@cinder/testkit';
import { api } from '../support/cluster-env';
import type { Members, Member } from './members';

export interface Push {
  text: string;
  sentAt: number;
  doneAt?: number;
  /** ok: committed (id known); error: refused (reason); timeout: outcome unknown */
  status?: 'ok' | 'error' | 'timeout';
  id?: string;
  reason?: string;
}

/** One sighting of a message id, for failure reports. */
export interface Sighting {
  at: number;
  id: string;
  via: 'join' | 'live';
}

export interface Chatter {
  readonly name: string;
  readonly member: Member;
  readonly pushes: Push[];
  readonly sightings: Sighting[];
  /** the `since` sent on each rejoin, with when */
  readonly rejoins: Array<{ at: number; since: string | null }>;
  /** every id seen, in arrival order: join and rejoin replies, then chat:added (from the member's own record) */
  seenIds(): string[];
}

export async function joinChatter(
  members: Members,
  name: string,
  topic: string,
  target: () => string,
): Promise<Chatter> {
  const claims: TestClaims = { sub: name, name, role: 'student', sessions: '*' };
  const rejoins: Chatter['rejoins'] = [];
  let self: Chatter | undefined;
  const member = await members.join(claims, topic, {
    target,
    params: () => {
      const since = self ? highest(self.seenIds()) : null;
      rejoins.push({ at: Date.now(), since });
      return since === null ? {} : { since };
    },
  });
  const sightings: Sighting[] = [];
  member.channel.on('chat:added', (p: any) => {
    sightings.push({ at: Date.now(), id: String(p.id), via: 'live' });
  });
  // phoenix.js keeps join hooks for every rejoin (joinPush is not in its typings);
  // the first join, before this hook, saw an empty session.
  const joinPush = (member.channel as unknown as { joinPush: { receive(status: string, cb: (reply: any) => void): unknown } }).joinPush;
  joinPush.receive('ok', (reply: any) => {
    for (const m of reply.messages) sightings.push({ at: Date.now(), id: String(m.id), via: 'join' });
  });
  self = {
    name,
    member,
    pushes: [],
    sightings,
    rejoins,
    seenIds() {
      const ids: string[] = [];
      for (const e of member.events) {
        if (e.event === 'join:ok') ids.push(...e.payload.messages.map((x: any) => String(x.id)));
        if (e.event === 'chat:added') ids.push(String(e.payload.id));
      }
      return ids;
    },
  };
  return self;
}

/** Pushes until `running()` turns false, one push at a time, pausing `gapMs` between. */
export async function chatSteadily(c: Chatter, running: () => boolean, gapMs: number): Promise<void> {
  for (let seq = 1; running(); seq++) {
    const push: Push = { text: `${c.name}#${seq}`, sentAt: Date.now() };
    c.pushes.push(push);
    const r = await pushAndWait(c.member.channel, 'chat:new', { message: push.text }, 5000);
    push.doneAt = Date.now();
    push.status = r.status as Push['status'];
    if (r.status === 'ok') push.id = String(r.response.id);
    if (r.status === 'error') push.reason = r.response?.reason;
    await new Promise((res) => setTimeout(res, gapMs));
  }
}

export function highest(ids: readonly string[]): string | null {
  let best: bigint | null = null;
  for (const id of ids) if (best === null || BigInt(id) > best) best = BigInt(id);
  return best === null ? null : best.toString();
}

/** The whole history of a session, paging through GET /api/sessions/{id}/messages. */
export async function fullHistory(baseUrl: string, sessionId: string): Promise<Array<{ id: string; message: string }>> {
  const out: Array<{ id: string; message: string }> = [];
  let after: string | null = null;
  for (;;) {
    const q: string = after === null ? 'limit=500' : `limit=500&after=${after}`;
    const res = await api(baseUrl, 'GET', `/api/sessions/${encodeURIComponent(sessionId)}/messages?${q}`);
    if (res.status !== 200) throw new Error(`history of ${sessionId}: HTTP ${res.status} ${JSON.stringify(res.body)}`);
    const page = res.body.messages as Array<{ id: string | number; message: string }>;
    out.push(...page.map((m) => ({ id: String(m.id), message: m.message })));
    if (page.length < 500) return out;
    after = String(page[page.length - 1].id);
  }
}
