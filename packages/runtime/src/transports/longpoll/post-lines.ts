import { ProtocolError } from '@cinder/protocol';

/**
 * How a LongPoll POST body becomes frames. phoenix.js 1.8 sends
 * `application/x-ndjson`: one encoded frame per line, V2 text frames as
 * JSON arrays and binary frames as standard base64. Any other content type
 * (older clients, V1) is a single text frame.
 */

/** one frame as it travels from the POST to the session, possibly over the bus */
export interface PostLine {
  /** true: `text` is base64 of a V2 binary frame */
  readonly base64: boolean;
  readonly text: string;
}

/** Phoenix handles only the first 100 lines of a batch (phoenix.js sends at most 100). */
export const MAX_LINES_PER_POST = 100;
/** Phoenix's bound on one base64 line */
export const MAX_BASE64_LINE = 10_000_000;

const NDJSON = 'application/x-ndjson';
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * Splits a body into lines. The content type is compared exactly, as Phoenix
 * does (`application/x-ndjson; charset=utf-8` is one text frame). Lines
 * past the 100th are ignored; empty lines are skipped (Phoenix would crash
 * the session on them).
 */
export function splitPostBody(body: Buffer, contentType: string | undefined): PostLine[] {
  const text = body.toString('utf8');
  if (contentType !== NDJSON) return [{ base64: false, text }];
  const lines: PostLine[] = [];
  let start = 0;
  for (let n = 0; n < MAX_LINES_PER_POST && start <= text.length; n++) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    let line = text.slice(start, end);
    if (line.endsWith('\r')) line = line.slice(0, -1);
    start = end + 1;
    if (line === '') continue;
    lines.push({ base64: !line.startsWith('['), text: line });
  }
  return lines;
}

/** The frame a line carries; throws ProtocolError for a line no client could have sent. */
export function lineToFrame(line: PostLine, maxFrameBytes: number): { data: Buffer; binary: boolean } {
  if (!line.base64) {
    const data = Buffer.from(line.text, 'utf8');
    if (data.length > maxFrameBytes) throw new ProtocolError('frame_too_large', `frame of ${data.length} bytes exceeds ${maxFrameBytes}`);
    return { data, binary: false };
  }
  if (line.text.length > MAX_BASE64_LINE) throw new ProtocolError('frame_too_large', 'base64 line exceeds 10000000 bytes');
  if (!BASE64.test(line.text) || line.text.length % 4 === 1) throw new ProtocolError('invalid_base64', 'ndjson line is neither a JSON array nor base64');
  const data = Buffer.from(line.text, 'base64');
  if (data.length > maxFrameBytes) throw new ProtocolError('frame_too_large', `frame of ${data.length} bytes exceeds ${maxFrameBytes}`);
  return { data, binary: true };
}
