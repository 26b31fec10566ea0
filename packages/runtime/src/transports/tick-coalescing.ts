/**
 * Frames that one socket gets within one turn of the event loop leave in
 * one write. A burst (a pipeline of Redis messages dispatched together,
 * several API requests read in one poll, a join's reply with its presence
 * pushes) otherwise costs a syscall per frame per socket, and on loopback
 * the syscall is most of a delivery's CPU.
 *
 * The first write of a turn goes straight out, so the usual single frame
 * pays nothing extra and waits for nothing; a second write in the same turn
 * corks the socket, and everything corked is flushed once the turn's I/O
 * callbacks have run (setImmediate), each socket as a single writev.
 * "Tick" below means such a turn.
 */
export interface Corkable {
  cork(): void;
  uncork(): void;
}

/** Per-socket bookkeeping, kept on the socket object itself (three small fields). */
export interface TickWriter {
  /** the tick of this socket's last write; -1 before its first */
  lastWriteTick: number;
  /** corked until the end of the current tick */
  corkedThisTick: boolean;
  /** the socket to cork, or null where writes cannot be coalesced */
  readonly corkable: Corkable | null;
}

let tick = 0;
let endScheduled = false;
const corked: TickWriter[] = [];

/** Call right before each write to the socket. */
export function beforeWrite(w: TickWriter): void {
  if (w.lastWriteTick !== tick) {
    w.lastWriteTick = tick;
    if (!endScheduled) {
      endScheduled = true;
      setImmediate(endTick);
    }
    return;
  }
  if (w.corkedThisTick || w.corkable === null) return;
  w.corkedThisTick = true;
  w.corkable.cork();
  corked.push(w);
}

function endTick(): void {
  endScheduled = false;
  tick++;
  for (let i = 0; i < corked.length; i++) {
    const w = corked[i];
    w.corkedThisTick = false;
    // a socket destroyed meanwhile ignores this
    w.corkable!.uncork();
  }
  corked.length = 0;
}

/** For tests: sockets corked in the current tick. */
export function corkedCount(): number {
  return corked.length;
}
