import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Emulator } from '../emulator/server.js';
import { BUNDLE, ROOT, runAction } from '../scripts/action-runner.js';

/**
 * `npm run bench:startup [REF]`: how long the bundle takes from its spawn to its first request,
 * for today's dist/ and, as the baseline in the same run, the dist/ of REF (default e032889, before
 * the GitHub client left the plain publish). Best of N spawns each, a dry run of the samples.
 * `npm run bench` runs it too.
 */
const N = Number(process.env.BENCH_REPEAT_STARTUP ?? 7);
const token = 'startup-token';

/** Best spawn-to-first-request of today's dist/ and of the dist/ of `ref`, measured in the same run. */
export async function startupMs(ref: string, node?: string): Promise<{ ref: string; today: number; before: number }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'startup-'));
  const baseline = path.join(dir, 'index.js');
  await writeFile(baseline, execFileSync('git', ['show', `${ref}:dist/index.js`], { cwd: ROOT, maxBuffer: 64 * 1024 * 1024 }));
  await writeFile(path.join(dir, 'package.json'), '{"type":"module"}\n');
  const emulator = new Emulator({ staticTokens: [token] });
  await emulator.start();
  const firstRequestMs = async (bundle: string): Promise<number> => {
    let best = Infinity;
    for (let i = 0; i < N; i++) {
      const before = emulator.requests.length;
      let spawned = 0;
      await runAction({
        node,
        workspace: ROOT,
        bundle,
        inputs: {
          datastore: emulator.datastore,
          glob: 'samples/rasters/**',
          name: 'startup',
          srs: 'EPSG:2154',
          token,
          'api-url': emulator.apiUrl,
          'dry-run': 'true',
        },
        onSpawn: () => (spawned = Date.now()),
      });
      const first = emulator.requests[before];
      if (first) best = Math.min(best, first.time - spawned);
    }
    return best;
  };
  try {
    return { ref, today: await firstRequestMs(BUNDLE), before: await firstRequestMs(baseline) };
  } finally {
    await emulator.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(ROOT, 'bench', 'startup.ts')) {
  const { ref, today, before } = await startupMs(process.argv[2] ?? 'e032889');
  console.log(`spawn to first request, best of ${N}: dist/ ${today} ms; ${ref} ${before} ms (${(today / before).toFixed(2)}×)`);
}
