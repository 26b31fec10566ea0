import type { Db } from './db';

/**
 * `build` runs once per database and its result lives as long as that
 * database object: prepared statements are built once, not per call.
 */
export function perDatabase<T>(build: (db: Db) => T): (db: Db) => T {
  const cache = new WeakMap<Db, T>();
  return (db) => {
    let value = cache.get(db);
    if (value === undefined) {
      value = build(db);
      cache.set(db, value);
    }
    return value;
  };
}
