import { RawClient, rawUpgrade } from './raw-client';
import { startReferenceServer } from './reference-server';
import { referenceServerPerTest } from './server-per-test';
import { closedWithin } from './sockets';

/*
 * The upgrade path (protocol §1.2-§1.6, §12 vectors 10, 12, 13, 14):
 * serializer choice by vsn, the phoenix.js authToken subprotocol, origin
 * check and refused connects, all visible as HTTP answers.
 */

const server = referenceServerPerTest();

const V1_HEARTBEAT = { topic: 'phoenix', event: 'heartbeat', payload: {}, ref: 'h' };
const V1_REPLY = { event: 'phx_reply', payload: { response: {}, status: 'ok' }, ref: 'h', topic: 'phoenix' };
const V2_HEARTBEAT = [null, 'h', 'phoenix', 'heartbeat', {}];
const V2_REPLY = [null, 'h', 'phoenix', 'phx_reply', { response: {}, status: 'ok' }];

function expectRefused(hs: Awaited<ReturnType<typeof RawClient.connect>>, status = 403): void {
  if (hs.kind !== 'refused') throw new Error(`expected HTTP ${status}, got 101`);
  expect(hs.status).toBe(status);
  expect(hs.body).toBe('');
  expect(hs.headers['content-length']).toBe('0');
}

describe('vsn (§1.2, §12.10)', () => {
  it.each([
    ['vsn=1.0.0', 'V1'],
    ['no vsn', 'V1'],
    ['vsn=2.0.0', 'V2'],
    ['vsn=2.0.5', 'V2'],
  ])('%s speaks %s', async (query, serializer) => {
    const c = await RawClient.open(server.url(`/socket/websocket?user=alice${query === 'no vsn' ? '' : `&${query}`}`));
    if (serializer === 'V1') {
      c.sendJson(V1_HEARTBEAT);
      expect(await c.nextJson()).toEqual(V1_REPLY);
      // The other shape is undecodable for this serializer: close 1011.
      c.sendJson(V2_HEARTBEAT);
    } else {
      c.sendJson(V2_HEARTBEAT);
      expect(await c.nextJson()).toEqual(V2_REPLY);
      c.sendJson(V1_HEARTBEAT);
    }
    expect(await c.closed).toMatchObject({ code: 1011, byClient: false });
  });

  it.each(['vsn=2.1.0', 'vsn=2', 'vsn=3.0.0', 'vsn=abc', 'vsn=', 'vsn%5Bx%5D=1'])('%s is refused with 403 and an empty body', async (query) => {
    expectRefused(await RawClient.connect(server.url(`/socket/websocket?user=alice&${query}`)));
  });
});

describe('authToken subprotocol (§1.4, §12.12)', () => {
  const AUTH = '/authsocket/websocket?vsn=2.0.0';

  it('accepts "phoenix, base64url.bearer.phx.<b64>", answers "phoenix" and hands connect the decoded token', async () => {
    const hs = await RawClient.connect(server.url(AUTH), { protocols: ['phoenix', 'base64url.bearer.phx.c2VjcmV0LXRva2VuLTE'] });
    if (hs.kind !== 'open') throw new Error(`refused: ${hs.status}`);
    expect(hs.headers['sec-websocket-protocol']).toBe('phoenix');
    expect(server.authTokens).toEqual(['secret-token-1']);
  });

  // "ab>cd?xy" is YWI+Y2Q/eHk= in standard base64: phoenix.js's btoa output has '+' and '/'.
  it.each([
    ['standard alphabet without padding (what phoenix.js sends)', 'YWI+Y2Q/eHk'],
    ['standard alphabet with padding', 'YWI+Y2Q/eHk='],
    ['URL-safe alphabet', 'YWI-Y2Q_eHk'],
  ])('decodes the %s', async (_label, encoded) => {
    const answer = await rawUpgrade(server.authPort, AUTH, { 'sec-websocket-protocol': `phoenix, base64url.bearer.phx.${encoded}` });
    expect(answer.status).toBe(101);
    expect(answer.headers['sec-websocket-protocol']).toBe('phoenix');
    expect(server.authTokens).toEqual(['ab>cd?xy']);
  });

  it.each(['YW!I', 'Y', 'YWI+Y2Q/eHk===x'])('refuses the malformed token %j with 403 before connect runs', async (encoded) => {
    const answer = await rawUpgrade(server.authPort, AUTH, { 'sec-websocket-protocol': `phoenix, base64url.bearer.phx.${encoded}` });
    expect(answer.status).toBe(403);
    expect(answer.body).toBe('');
    expect(server.authTokens).toEqual([]);
  });

  it('a token connect refuses gets 403, still naming the "phoenix" subprotocol', async () => {
    const hs = await RawClient.connect(server.url(AUTH), { protocols: ['phoenix', 'base64url.bearer.phx.cmVqZWN0'] });
    expectRefused(hs);
    expect(hs.kind === 'refused' && hs.headers['sec-websocket-protocol']).toBe('phoenix');
    expect(server.authTokens).toEqual(['reject']);
  });

  it('a subprotocol list without "phoenix" is refused with 403', async () => {
    const plain = await rawUpgrade(server.socketPort, '/socket/websocket?vsn=2.0.0', { 'sec-websocket-protocol': 'foo, bar' });
    expect(plain.status).toBe(403);
    const withToken = await rawUpgrade(server.authPort, AUTH, { 'sec-websocket-protocol': 'base64url.bearer.phx.c2VjcmV0LXRva2VuLTE, foo' });
    expect(withToken.status).toBe(403);
    expect(server.authTokens).toEqual([]);
  });

  it('a token as the only entry is accepted without negotiating a subprotocol (Phoenix drops the emptied header)', async () => {
    const answer = await rawUpgrade(server.authPort, AUTH, { 'sec-websocket-protocol': 'base64url.bearer.phx.c2VjcmV0LXRva2VuLTE' });
    expect(answer.status).toBe(101);
    expect(answer.headers['sec-websocket-protocol']).toBeUndefined();
    expect(server.authTokens).toEqual(['secret-token-1']);
  });

  it('selects "phoenix" whenever it is offered, also on a mount that ignores tokens (trap 17)', async () => {
    const hs = await RawClient.connect(server.url('/socket/websocket?vsn=2.0.0'), { protocols: ['phoenix'] });
    expect(hs.kind === 'open' && hs.headers['sec-websocket-protocol']).toBe('phoenix');
  });

  it('without the header, no subprotocol is answered', async () => {
    const answer = await rawUpgrade(server.socketPort, '/socket/websocket?vsn=2.0.0', {});
    expect(answer.status).toBe(101);
    expect(answer.headers['sec-websocket-protocol']).toBeUndefined();
  });
});

describe('refused connections (§1.6, §12.14)', () => {
  it('connect refusing (a reject param) gives 403 with an empty body', async () => {
    expectRefused(await RawClient.connect(server.url('/authsocket/websocket?reject=1&vsn=2.0.0')));
  });

  it('an unknown socket path gives 404', async () => {
    const hs = await RawClient.connect(server.url('/nosocket/websocket?vsn=2.0.0'));
    expect(hs.kind === 'refused' && [hs.status, hs.body]).toEqual([404, 'not found']);
  });
});

describe('origin check (§1.5, §12.13)', () => {
  it('refuses a rejected origin with 403, allows a matching one and a request without Origin', async () => {
    const seen: string[] = [];
    const guarded = await startReferenceServer({
      checkOrigin: (origin) => {
        seen.push(origin);
        return origin === 'https://good.example';
      },
    });
    try {
      const url = guarded.url('/socket/websocket?user=alice&vsn=2.0.0');
      expectRefused(await RawClient.connect(url, { headers: { origin: 'https://evil.example' } }));
      expectRefused(await RawClient.connect(url, { headers: { origin: 'null' } }));
      const good = await RawClient.open(url, { headers: { origin: 'https://good.example' } });
      good.sendJson(V2_HEARTBEAT);
      expect(await good.nextJson()).toEqual(V2_REPLY);
      const none = await rawUpgrade(guarded.socketPort, '/socket/websocket?vsn=2.0.0', {});
      expect(none.status).toBe(101);
      expect(seen).toEqual(['https://evil.example', 'null', 'https://good.example']);
      good.close();
      expect(await closedWithin(good, 2000)).toMatchObject({ code: 1000, byClient: true });
    } finally {
      RawClient.terminateAll();
      await guarded.close();
    }
  });
});
