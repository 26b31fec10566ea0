import { Agent, request } from 'node:http';
import { sleep } from '../clock';

const agent = new Agent({ keepAlive: true, maxSockets: 64 });

/**
 * One connection, requests strictly one after another: what a single
 * back-end publisher does, and what "in publish order" is defined against.
 * A pool of connections would let the server see request 5 before request 4.
 */
export function orderedAgent(): Agent {
  return new Agent({ keepAlive: true, maxSockets: 1 });
}

export interface HttpAnswer {
  status: number;
  body: string;
}

export function postJson(
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
  via: Agent = agent,
): Promise<HttpAnswer> {
  const data = Buffer.from(JSON.stringify(body));
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'POST',
        agent: via,
        headers: { 'content-type': 'application/json', 'content-length': String(data.length), ...headers },
        timeout: 10_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`POST ${url} timed out`)));
    req.on('error', reject);
    req.end(data);
  });
}

export function getStatus(url: string): Promise<number> {
  return new Promise((resolve) => {
    const req = request(url, { method: 'GET', timeout: 1000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(0));
    req.end();
  });
}

/** Polls until the URL answers 200; throws after timeoutMs. */
export async function waitForOk(url: string, timeoutMs: number, stillAlive: () => boolean): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!stillAlive()) throw new Error(`process exited before ${url} answered`);
    if ((await getStatus(url)) === 200) return;
    await sleep(100);
  }
  throw new Error(`${url} did not answer 200 within ${timeoutMs} ms`);
}
