import { run } from './main.js';

// A cancelled job gets SIGINT, then SIGTERM about 7 s later: abort at once, report what is known.
const controller = new AbortController();
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => controller.abort());

await run(controller.signal);
// Kept-alive sockets must not hold the runner after the outcome is written.
process.exit();
