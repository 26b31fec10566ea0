import type { Role } from './contract-types';

export interface Identity {
  userId: string;
  name: string;
  role: Role;
}

const STORAGE_PREFIX = 'cinder.coaching-room.user';

function randomSuffix(): string {
  const bytes = new Uint8Array(4);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

function slug(name: string): string {
  const s = name
    .normalize('NFKD')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 24);
  return s === '' ? 'user' : s;
}

/**
 * The user id for a name and role, remembered in this browser. Presence is
 * keyed by user id, so two tabs of the same person count once, while two
 * people who pick the same name on different machines stay apart.
 */
export function identityFor(name: string, role: Role): Identity {
  const key = `${STORAGE_PREFIX}:${role}:${name}`;
  let userId: string | null = null;
  try {
    userId = localStorage.getItem(key);
    if (!userId) {
      userId = `${role}-${slug(name)}-${randomSuffix()}`;
      localStorage.setItem(key, userId);
    }
  } catch {
    // Storage can be disabled (private modes); the id then lasts for this tab.
    userId = userId ?? `${role}-${slug(name)}-${randomSuffix()}`;
  }
  return { userId, name, role };
}
