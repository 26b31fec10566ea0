import type { Presence } from 'phoenix';

/** One person in the room; several tabs of the same user are one member. */
export interface Member {
  userId: string;
  name: string;
  role: string;
  tabs: number;
  onlineAt: number;
}

interface Meta {
  name?: unknown;
  role?: unknown;
  online_at?: unknown;
}

/** Presence keys are user ids; each open tab adds a meta. */
export function membersOf(presence: Presence): Member[] {
  const members = presence.list((userId: string, entry: { metas: Meta[] }) => {
    const metas = entry.metas;
    const first = metas[0] ?? {};
    const times = metas.map((m) => (typeof m.online_at === 'number' ? m.online_at : Number.MAX_SAFE_INTEGER));
    return {
      userId,
      name: typeof first.name === 'string' && first.name !== '' ? first.name : userId,
      role: typeof first.role === 'string' ? first.role : '',
      tabs: metas.length,
      onlineAt: Math.min(...times),
    };
  });
  // Coaches first, then by arrival, so the list does not jump around.
  return members.sort((a, b) => (a.role === b.role ? a.onlineAt - b.onlineAt : a.role === 'coach' ? -1 : b.role === 'coach' ? 1 : 0));
}
