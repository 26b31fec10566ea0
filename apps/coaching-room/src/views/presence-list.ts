import type { Member } from '../presence-members';
import { byId, h } from './dom';

function roleLabel(role: string): string {
  return role === 'coach' ? 'Coach' : role === 'student' ? 'Student' : role;
}

/** Who is here now, with role; a person with several tabs is listed once. */
export class PresenceList {
  private readonly list = byId('presence-list');
  private readonly count = byId('presence-count');
  private readonly announce = byId('presence-announce');
  private readonly staleNote = byId('presence-stale');
  private known: Map<string, Member> | null = null;

  render(members: Member[], selfId: string): void {
    this.count.textContent = `(${members.length})`;
    this.list.replaceChildren(
      ...members.map((m) =>
        h(
          'li',
          { class: 'presence-item', 'data-testid': 'presence-item', 'data-user-id': m.userId, 'data-role': m.role },
          h('span', { class: 'presence-dot', 'aria-hidden': 'true' }),
          h('span', { class: 'presence-name' }, m.name, m.userId === selfId ? ' (you)' : ''),
          h('span', { class: `role-badge role-badge--${m.role}` }, roleLabel(m.role)),
          m.tabs > 1 ? h('span', { class: 'presence-tabs' }, `${m.tabs} tabs`) : null,
        ),
      ),
    );
    this.announceChanges(members, selfId);
  }

  /** Marks the list as last known (not live) while the connection is down. */
  setStale(stale: boolean): void {
    this.list.dataset.stale = String(stale);
    this.staleNote.hidden = !stale;
  }

  reset(): void {
    this.known = null;
    this.list.replaceChildren();
    this.count.textContent = '';
    this.announce.textContent = '';
  }

  /** "Coach Ian joined": the seed's arrival notices, derived from presence rather than stored. */
  private announceChanges(members: Member[], selfId: string): void {
    const next = new Map(members.map((m) => [m.userId, m]));
    if (this.known) {
      const lines: string[] = [];
      for (const m of members) if (!this.known.has(m.userId) && m.userId !== selfId) lines.push(`${roleLabel(m.role)} ${m.name} joined.`);
      for (const [id, m] of this.known) if (!next.has(id) && id !== selfId) lines.push(`${roleLabel(m.role)} ${m.name} left.`);
      if (lines.length > 0) this.announce.textContent = lines.join(' ');
    }
    this.known = next;
  }
}
