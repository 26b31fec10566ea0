import { createTestDatabase } from '@cinder/testkit';

/**
 * Both store back ends; suites that must hold on both run once per entry.
 * `store` is passed to startServer.
 */
export const BACKENDS = [
  ['pglite', async () => ({ env: {} as Record<string, string>, store: 'pglite' as const, cleanup: async () => undefined })],
  [
    'postgres',
    async () => {
      const db = await createTestDatabase();
      return { env: { DATABASE_URL: db.url } as Record<string, string>, store: 'postgres' as const, cleanup: () => db.drop() };
    },
  ],
] as const;
