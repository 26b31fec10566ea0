import { RawClient } from './raw-client';
import { startReferenceServer, type ReferenceServer } from './reference-server';

/**
 * A fresh reference server for every test of the file, closed (with every
 * raw client) after it. The returned object always stands for the current
 * test's server, so tests and helpers can hold on to it.
 */
export function referenceServerPerTest(): ReferenceServer {
  let current: ReferenceServer | null = null;
  beforeEach(async () => {
    current = await startReferenceServer();
  });
  afterEach(async () => {
    RawClient.terminateAll();
    await current?.close();
    current = null;
  });
  const live = (): ReferenceServer => {
    if (current === null) throw new Error('the reference server exists only while a test runs');
    return current;
  };
  return new Proxy({} as ReferenceServer, {
    get(_target, key) {
      const server = live();
      const value = server[key as keyof ReferenceServer];
      return typeof value === 'function' ? value.bind(server) : value;
    },
  });
}
