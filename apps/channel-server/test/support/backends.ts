import { createTestDatabase } from '@cinder/testkit';

/** Both store back ends; each suite runs once per back end. */
export const BACKENDS = [
  ['pglite', async () => ({ env: {} as Record<string, string>, cleanup: async () => undefined })],
  [
    'postgres',
    async () => {
      const db = await createTestDatabase();
      return { env: { DATABASE_URL: db.url } as Record<string, string>, cleanup: () => db.drop() };
    },
  ],
] as const;
