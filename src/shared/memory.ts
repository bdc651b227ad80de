import v8 from 'node:v8';

/**
 * Keeps V8's young generation at its starting size for the run.
 *
 * V8 doubles the young generation each time the bytes that survive its collections add up to its
 * size; a run that sends thousands of files always has a few requests in flight, so it keeps
 * growing: on Node 24, on a machine with 24 GiB, to two 64 MiB halves, which was most of the
 * 260 MiB a 20,000-file send peaked at. Held at its start, the peak is about 140 MiB, for 5 to 10%
 * more CPU on such a run (docs/performance.md, "Memory against the number of files").
 *
 * The growth factor is read each time V8 would grow the young generation, so setting it once the
 * process runs works (the action cannot pass flags to the `node` the runner starts). A Node whose
 * V8 ignores it runs as before, with more memory.
 */
export function keepYoungGenerationSmall(): void {
  v8.setFlagsFromString('--semi-space-growth-factor=1');
}
