// Preloaded with --import into the action under benchmark: on exit, writes its peak RSS (KiB) and
// CPU time (µs, user and system) as JSON. With BENCH_GC set it also records every garbage
// collection (v8.GCProfiler) and writes the largest heap left after a full one (bytes): the state
// the process really keeps, as opposed to garbage not yet collected. That run is separate from the
// RSS runs, since the profiler's records take memory of their own.
import { writeFileSync } from 'node:fs';
import process from 'node:process';
import v8 from 'node:v8';

const profiler = process.env.BENCH_GC ? new v8.GCProfiler() : undefined;
profiler?.start();
process.on('exit', () => {
  if (!process.env.BENCH_RSS_FILE) return;
  const { maxRSS, userCPUTime, systemCPUTime } = process.resourceUsage();
  const full = (profiler?.stop()?.statistics ?? []).filter((s) => s.gcType === 'MarkSweepCompact');
  const liveBytes = full.length ? Math.max(...full.map((s) => s.afterGC.heapStatistics.usedHeapSize)) : undefined;
  writeFileSync(process.env.BENCH_RSS_FILE, JSON.stringify({ maxRSS, userCPUTime, systemCPUTime, liveBytes }));
});
