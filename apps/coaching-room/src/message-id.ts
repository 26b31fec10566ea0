/**
 * Message ids are decimal strings that increase within a session. They may
 * exceed 2^53, so they are compared as digit strings (longer is larger),
 * never as JavaScript numbers.
 */
export function compareMessageIds(a: string, b: string): number {
  const x = a.replace(/^0+(?=\d)/, '');
  const y = b.replace(/^0+(?=\d)/, '');
  if (x.length !== y.length) return x.length - y.length;
  return x < y ? -1 : x > y ? 1 : 0;
}
