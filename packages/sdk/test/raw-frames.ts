import { signToken, waitFor } from '@cinder/testkit';
import { WebSocket } from 'ws';

/**
 * A hand-driven WebSocket joined to one topic that keeps every broadcast
 * frame exactly as it came off the wire (text or bytes), so deliveries can
 * be compared byte for byte.
 */
export interface RawWatcher {
  /** broadcast frames (not replies, not presence), in arrival order */
  readonly broadcasts: Array<string | Buffer>;
  close(): void;
}

function isBroadcast(frame: string | Buffer, vsn: '1.0.0' | '2.0.0'): boolean {
  // V2 binary: [kind][…]; kind 2 is a broadcast.
  if (Buffer.isBuffer(frame)) return frame[0] === 2;
  const f = JSON.parse(frame);
  const [ref, event] = vsn === '2.0.0' ? [f[1], f[3]] : [f.ref, f.event];
  return ref === null && !String(event).startsWith('presence_') && !String(event).startsWith('phx_');
}

export async function rawWatch(port: number, topic: string, vsn: '1.0.0' | '2.0.0', sub: string): Promise<RawWatcher> {
  const token = signToken({ sub, name: sub, role: 'coach', sessions: '*', jobs: '*' });
  const ws = new WebSocket(`ws://127.0.0.1:${port}/socket/websocket?vsn=${vsn}&token=${token}`);
  const frames: Array<string | Buffer> = [];
  ws.on('message', (data: Buffer, isBinary: boolean) => frames.push(isBinary ? data : data.toString('utf8')));
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  ws.send(vsn === '2.0.0' ? JSON.stringify(['1', '1', topic, 'phx_join', {}]) : JSON.stringify({ topic, event: 'phx_join', payload: {}, ref: '1' }));
  const joined = () =>
    frames.some((f) => {
      if (typeof f !== 'string') return false;
      const m = JSON.parse(f);
      return vsn === '2.0.0' ? m[1] === '1' && m[4]?.status === 'ok' : m.ref === '1' && m.payload?.status === 'ok';
    });
  await waitFor(joined, `raw ${vsn} join of ${topic}`);
  const broadcasts: Array<string | Buffer> = [];
  // Frames that came with or before the join reply are not broadcasts of the test.
  let seen = frames.length;
  const collect = () => {
    for (; seen < frames.length; seen++) if (isBroadcast(frames[seen], vsn)) broadcasts.push(frames[seen]);
  };
  ws.on('message', collect);
  return {
    broadcasts,
    close: () => ws.close(),
  };
}
