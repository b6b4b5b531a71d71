import { defineConfig } from 'vitest/config';
import base from './vitest.config';

// `npm run conformance`: only the conformance suite, with room for the full-size fault and fuzz runs.
// (Not mergeConfig: it would concatenate `include` with the base list.)
export default defineConfig({
  test: { ...base.test, include: ['conformance/**/*.test.ts'], testTimeout: 600_000, hookTimeout: 180_000 },
});
