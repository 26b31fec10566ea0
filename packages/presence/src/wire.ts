import type { PresenceMeta } from './types';

/*
 * Tracker messages on the control bus, as compact JSON:
 *
 *   heartbeat     {y:"hb", v, c, f?, o?}   to all. c = sender's clock after these
 *                                          ops; o = ops f..c (absent when idle)
 *   transfer req  {y:"tq", r}              to the owner: "send me your state"
 *   transfer ack  {y:"ta", v, r, c, i, n, e}  to the requester: part i of n of
 *                                          the owner's live elements at clock c
 *   permdown      {y:"pd", v}              to all: graceful shutdown
 *
 * v is the sender's replica version; the sender's name is the adapter's
 * origin node id. An op is either an element (an add) or the phx_ref of an
 * element the sender removed. An update travels as a removal plus an add.
 */

export type Element = [topic: string, key: string, meta: PresenceMeta];
export type Op = string | Element;

export type WireMessage =
  | { y: 'hb'; v: string; c: number; f?: number; o?: Op[] }
  | { y: 'tq'; r: string }
  | { y: 'ta'; v: string; r: string; c: number; i: number; n: number; e: Element[] }
  | { y: 'pd'; v: string };

export function encode(msg: WireMessage): Buffer {
  return Buffer.from(JSON.stringify(msg));
}

export class WireError extends Error {}

/** Parses and checks a message from another node; anything malformed throws WireError. */
export function decode(data: Buffer): WireMessage {
  let msg: unknown;
  try {
    msg = JSON.parse(data.toString('utf8'));
  } catch {
    throw new WireError('tracker message is not JSON');
  }
  if (!isObject(msg)) throw new WireError('tracker message is not an object');
  switch (msg.y) {
    case 'hb': {
      const { v, c, f, o } = msg;
      if (!isString(v) || !isClock(c)) throw new WireError('bad heartbeat');
      if (o === undefined) return { y: 'hb', v, c };
      if (!isClock(f) || !Array.isArray(o) || o.length === 0 || f + o.length - 1 !== c || !o.every(isOp)) {
        throw new WireError('bad heartbeat ops');
      }
      return { y: 'hb', v, c, f, o: o as Op[] };
    }
    case 'tq':
      if (!isString(msg.r)) throw new WireError('bad transfer request');
      return { y: 'tq', r: msg.r };
    case 'ta': {
      const { v, r, c, i, n, e } = msg;
      if (!isString(v) || !isString(r) || !isClock(c) || !isCount(n) || n < 1 || !isCount(i) || i >= n) {
        throw new WireError('bad transfer ack');
      }
      if (!Array.isArray(e) || !e.every(isElement)) throw new WireError('bad transfer ack elements');
      return { y: 'ta', v, r, c, i, n, e: e as Element[] };
    }
    case 'pd':
      if (!isString(msg.v)) throw new WireError('bad permdown');
      return { y: 'pd', v: msg.v };
    default:
      throw new WireError(`unknown tracker message ${JSON.stringify(msg.y)}`);
  }
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function isString(x: unknown): x is string {
  return typeof x === 'string' && x.length > 0;
}

function isCount(x: unknown): x is number {
  return Number.isSafeInteger(x) && (x as number) >= 0;
}

function isClock(x: unknown): x is number {
  return isCount(x);
}

function isElement(x: unknown): x is Element {
  return (
    Array.isArray(x) &&
    x.length === 3 &&
    isString(x[0]) &&
    typeof x[1] === 'string' &&
    isObject(x[2]) &&
    isString(x[2].phx_ref)
  );
}

function isOp(x: unknown): x is Op {
  return isString(x) || isElement(x);
}
