import { StoreUnavailableError } from './errors';

/**
 * Bounds how long a caller waits: the contract promises an `unavailable`
 * answer within 5 s, whatever the driver is stuck on.
 */
export function withDeadline<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new StoreUnavailableError(`store did not answer ${what} within ${ms} ms`)),
      ms,
    );
  });
  return Promise.race([work, expired]).finally(() => clearTimeout(timer));
}
