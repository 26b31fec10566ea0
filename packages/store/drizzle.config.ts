import { defineConfig } from 'drizzle-kit';

// Only `drizzle-kit generate` reads this; the store applies the SQL itself at open.
export default defineConfig({
  dialect: 'postgresql',
  schema: './src/schema.ts',
  out: './drizzle',
});
