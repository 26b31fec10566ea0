import { referenceServerPerTest } from './server-per-test';
import { loadTranscript, replay, websocketTranscripts } from './transcript';

/*
 * Every WebSocket capture of the real Phoenix 1.8.12 server, replayed frame
 * by frame against Cinder running the same reference channel. A fresh server
 * per case keeps presence and sockets of one case out of the next.
 */

const files = websocketTranscripts();

const server = referenceServerPerTest();

it('finds the WebSocket captures (v1 and v2)', () => {
  expect(files.length).toBeGreaterThanOrEqual(30);
  expect(files.some((f) => f.endsWith('.v1.jsonl'))).toBe(true);
  expect(files.some((f) => f.endsWith('.v2.jsonl'))).toBe(true);
});

describe.each(files)('%s', (file) => {
  it('replays with the frames Phoenix sent', async () => {
    await replay(loadTranscript(file), server);
  });
});
