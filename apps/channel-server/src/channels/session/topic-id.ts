/** The id part of `prefix:{id}`; null when empty, too long or containing control characters. */
export function topicId(topic: string, prefix: string): string | null {
  const id = topic.slice(prefix.length);
  // eslint-disable-next-line no-control-regex
  if (id === '' || id.length > 200 || /[\u0000-\u001f\u007f]/.test(id)) return null;
  return id;
}
