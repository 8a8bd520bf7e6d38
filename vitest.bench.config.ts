import { defineConfig } from 'vitest/config';

// Measurements that print figures (no global peers, no timing assertions): npm run bench:index
export default defineConfig({
  test: { include: ['bench/**/*.test.ts'], testTimeout: 600_000, hookTimeout: 600_000 },
});
