/**
 * JSON.stringify overflows the stack on values nested a few thousand levels
 * deep, which still fit in one frame or request body. Such input is bad
 * input (invalid_payload / 400), never a crash, so every size or
 * encodability check goes through here.
 */
export function tryStringify(value: unknown): string | null {
  try {
    return JSON.stringify(value);
  } catch {
    return null;
  }
}

/** UTF-8 size of the JSON encoding; Infinity when it cannot be encoded. */
export function jsonByteLength(value: unknown): number {
  const json = tryStringify(value);
  return json === null ? Infinity : Buffer.byteLength(json);
}
