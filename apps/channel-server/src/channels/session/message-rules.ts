import type { MessageType, Role } from '@cinder/contract';

/** Which message types a member may send with `chat:new` (CONTRACT §5.1). */
const ALLOWED: Record<Role, ReadonlySet<MessageType>> = {
  student: new Set<MessageType>(['chat_message', 'feeling_update', 'focus_point']),
  coach: new Set<MessageType>(['chat_message', 'feeling_update', 'focus_point', 'coach_tip']),
};

export function mayPostType(role: Role, type: MessageType): boolean {
  return ALLOWED[role].has(type);
}

export const MAX_MESSAGE_CODE_POINTS = 4000;
export const MAX_META_BYTES = 4096;

/** Lengths are counted in Unicode code points, not UTF-16 units. */
export function codePointLength(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}
