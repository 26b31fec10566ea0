import { matchJson, RefMap } from './frame-match';
import { referenceServerPerTest } from './server-per-test';
import { loadTranscript, replay, type Line } from './transcript';

/*
 * The replayer must be able to fail: each test edits one recorded line and
 * checks that the difference is caught, so a passing replay means something.
 */

const server = referenceServerPerTest();

function edit(file: string, pick: (l: Line, i: number) => boolean, change: (l: Line) => Line | null): Line[] {
  const lines = loadTranscript(file);
  const i = lines.findIndex(pick);
  if (i < 0) throw new Error(`no line to edit in ${file}`);
  const changed = change(lines[i]);
  return changed ? [...lines.slice(0, i), changed, ...lines.slice(i + 1)] : [...lines.slice(0, i), ...lines.slice(i + 1)];
}

it('catches a different reply payload', async () => {
  const lines = edit(
    'echo_reply.v2.jsonl',
    (l) => l.dir === 'recv' && (l.frame ?? '').includes('"3","room:echo","phx_reply"'),
    (l) => ({ ...l, frame: '["1","3","room:echo","phx_reply",{"response":{"x":1},"status":"ok"}]' }),
  );
  await expect(replay(lines, server)).rejects.toThrow(/response/);
});

it('catches a frame the capture does not have (heartbeat barrier)', async () => {
  const lines = edit(
    'echo_reply.v2.jsonl',
    (l) => l.dir === 'recv' && (l.frame ?? '').includes('"numericref"'),
    () => null,
  );
  await expect(replay(lines, server)).rejects.toThrow(/barrier/);
});

it('catches a missing frame', async () => {
  const lines = edit(
    'duplicate_join.v2.jsonl',
    (l) => l.dir === 'recv' && (l.frame ?? '').includes('"current":true'),
    (l) => ({ ...l, frame: '["3","4","room:dup","phx_reply",{"response":{"stale":true},"status":"ok"}]' }),
  );
  await expect(replay(lines, server)).rejects.toThrow(/"4"/);
});

it('catches a different close code', async () => {
  const lines = edit(
    'malformed_json.v2.jsonl',
    (l) => l.dir === 'close',
    (l) => ({ ...l, code: 1000 }),
  );
  await expect(replay(lines, server)).rejects.toThrow(/close code should be 1000, got 1011/);
});

it('catches different binary bytes', async () => {
  const lines = edit(
    'binary_echo.v2.jsonl',
    (l) => l.dir === 'recv' && l.type === 'binary',
    (l) => ({ ...l, hex: `${l.hex}00` }),
  );
  await expect(replay(lines, server)).rejects.toThrow(/expected binary/);
});

it('catches a different HTTP refusal', async () => {
  const lines = edit(
    'connect_variants.v2.jsonl',
    (l) => l.dir === 'http_response' && l.status === 404,
    (l) => ({ ...l, status: 403, body: '', headers: { 'content-length': '0' } }),
  );
  await expect(replay(lines, server)).rejects.toThrow(/status should be 403, got 404/);
});

it('catches a missing sec-websocket-protocol answer', async () => {
  const lines = edit(
    'auth_token.v2.jsonl',
    (l) => l.dir === 'http_upgrade',
    (l) => ({ ...l, headers: {} }),
  );
  await expect(replay(lines, server)).rejects.toThrow(/unexpected sec-websocket-protocol/);
});

it('catches a phx_ref that is not the one recorded for the same presence', async () => {
  // In the capture, B's presence_state lists alice under the ref A saw; give it bob's instead.
  const lines = loadTranscript('presence.v2.jsonl').map((l) =>
    l.conn === 'B' && (l.frame ?? '').includes('presence_state') && (l.frame ?? '').includes('GOoyNJfbaqmkuAth')
      ? { ...l, frame: (l.frame ?? '').replace('GOoyNH-GvQSkuAsx', 'GOoyNJfbaqmkuAth') }
      : l,
  );
  await expect(replay(lines, server)).rejects.toThrow(/phx_ref/);
});

it('accepts presence_state and the own presence_diff in the other order', async () => {
  const lines = loadTranscript('join_ok.v2.jsonl');
  const diff = lines.findIndex((l) => (l.frame ?? '').includes('presence_diff'));
  const state = lines.findIndex((l) => (l.frame ?? '').includes('presence_state'));
  const swapped = [...lines];
  [swapped[diff], swapped[state]] = [lines[state], lines[diff]];
  await replay(swapped, server);
});

describe('phx_ref renaming', () => {
  it('is one to one across frames', () => {
    const refs = new RefMap();
    expect(matchJson({ phx_ref: 'AAAAAAAAAAAAAAAA' }, { phx_ref: 'bbbbbbbbbbbbbbbb' }, refs)).toBeNull();
    expect(matchJson({ phx_ref: 'AAAAAAAAAAAAAAAA' }, { phx_ref: 'cccccccccccccccc' }, refs)).toMatch(/stood for/);
    expect(matchJson({ phx_ref: 'ZZZZZZZZZZZZZZZZ' }, { phx_ref: 'bbbbbbbbbbbbbbbb' }, refs)).toMatch(/stood for/);
  });

  it('requires the 16-character shape', () => {
    expect(matchJson({ phx_ref: 'AAAAAAAAAAAAAAAA' }, { phx_ref: 'short' }, new RefMap())).toMatch(/16-char/);
    expect(matchJson({ phx_ref_prev: 'AAAAAAAAAAAAAAAA' }, { phx_ref_prev: 'bbbbbbbbbbbbbbb!' }, new RefMap())).toMatch(/16-char/);
  });

  it('compares everything else exactly, numbers and strings included', () => {
    expect(matchJson([null, 5, 'a'], [null, '5', 'a'], new RefMap())).toMatch(/\$\[1\]/);
    expect(matchJson({ a: 1 }, { a: 1, b: 2 }, new RefMap())).toMatch(/keys/);
  });
});
