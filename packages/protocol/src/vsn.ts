import type { Serializer } from './serializer';
import { v1Serializer } from './v1-json';
import { v2Serializer, v2TextSerializer } from './v2-json';

const SEMVER = /^(\d+)\.(\d+)\.(\d+)(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$/;

/**
 * Picks the serializer for a `vsn` connect param the way Phoenix does:
 * missing means 1.0.0; otherwise a full semantic version matching ~> 1.0.0
 * or ~> 2.0.0. Anything else (unparsable, 2.1.0, not a string) is refused.
 */
export function serializerForVsn(vsn: unknown, transport: 'websocket' | 'longpoll'): Serializer | null {
  if (vsn === undefined) return v1Serializer;
  if (typeof vsn !== 'string') return null;
  const m = SEMVER.exec(vsn);
  if (!m) return null;
  const [major, minor, patch] = [Number(m[1]), Number(m[2]), Number(m[3])];
  // x.y.0-pre sorts below x.y.0, so it is outside ~> x.y.0.
  if (patch === 0 && vsn.slice(m[1].length + m[2].length + m[3].length + 2).startsWith('-')) return null;
  if (major === 1 && minor === 0) return v1Serializer;
  if (major === 2 && minor === 0) return transport === 'websocket' ? v2Serializer : v2TextSerializer;
  return null;
}
