/**
 * phoenix 1.7.21 picks its global object (`self`) when the module loads, and
 * its LongPoll needs an XMLHttpRequest; Node has neither. Import this file
 * before anything that loads phoenix17 (the testkit does). XMLHttpRequest
 * itself is installed only while 1.7 runs: phoenix 1.8 prefers it over
 * fetch when it exists.
 */
/* eslint-disable @typescript-eslint/no-require-imports */
(globalThis as any).self = globalThis;

export function installXhr(): void {
  (globalThis as any).XMLHttpRequest = require('xhr2');
}

export function removeXhr(): void {
  delete (globalThis as any).XMLHttpRequest;
}
