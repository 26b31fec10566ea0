import path from 'node:path';

/**
 * The drizzle-kit output sits at the package root, beside both `src/` (tests)
 * and `dist/` (runtime), so it is found whatever the working directory is.
 */
export const MIGRATIONS_FOLDER = path.resolve(__dirname, '..', 'drizzle');

/**
 * Two-key advisory lock held while migrating; the two-key form lives in a
 * key space apart from the one-key locks taken per session.
 */
export const MIGRATION_LOCK: readonly [number, number] = [0x43494e44, 1]; // "CIND"
