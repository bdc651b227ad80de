import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The spawned action is a bundle built from today's src/ (test/support/build-bundle.ts).
    globalSetup: ['./test/support/build-bundle.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Spawned actions and the emulator share two cores: a few files at a time is fastest.
    maxWorkers: 2,
    reporters: ['default', './test/support/closing-line-reporter.ts'],
  },
});
