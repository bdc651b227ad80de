import * as core from '@actions/core';
import { run } from './main.js';
import { messageOf } from './report/text.js';

// A cancelled job gets SIGINT, then SIGTERM about 7 s later: abort at once, report what is known.
const controller = new AbortController();
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => controller.abort());

try {
  await run({ runner: core, env: process.env, signal: controller.signal });
} catch (error) {
  // run() reports every failure itself; one that escapes it is a bug, said as such in one line.
  if (error instanceof Error && error.stack) core.info(error.stack);
  core.setFailed(messageOf(error));
}
// Kept-alive sockets must not hold the runner after the outcome is written.
process.exit();
