// Preloaded with --import into the action under benchmark: on exit, writes its peak RSS (KiB) and
// CPU time (µs, user and system) as JSON.
import { writeFileSync } from 'node:fs';
import process from 'node:process';
process.on('exit', () => {
  if (!process.env.BENCH_RSS_FILE) return;
  const { maxRSS, userCPUTime, systemCPUTime } = process.resourceUsage();
  writeFileSync(process.env.BENCH_RSS_FILE, JSON.stringify({ maxRSS, userCPUTime, systemCPUTime }));
});
