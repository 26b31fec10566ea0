import type { Role } from '@cinder/contract';

/** Who a socket belongs to; taken from the verified token only. */
export interface Identity {
  sub: string;
  name: string;
  role: Role;
  /** session ids the user may join, or '*' */
  sessions: readonly string[] | '*';
  /** job ids the user may follow, or '*' */
  jobs: readonly string[] | '*';
  /** epoch seconds; undefined for tokens without expiry */
  exp: number | undefined;
}

const ROLE_ALIASES: Record<string, Role> = {
  student: 'student',
  golfer: 'student',
  coach: 'coach',
  instructor: 'coach',
  teacher: 'coach',
};

export function normalizeRole(value: unknown): Role | null {
  if (value === undefined || value === null) return 'student';
  return typeof value === 'string' ? (ROLE_ALIASES[value.toLowerCase()] ?? null) : null;
}

export function mayAccess(list: readonly string[] | '*', id: string): boolean {
  return list === '*' || list.includes(id);
}
