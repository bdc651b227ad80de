import { execFileSync } from 'node:child_process';
import { appendFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Emulator } from '../emulator/server.js';
import { ROOT, runAction } from '../scripts/action-runner.js';

/**
 * A merge costs what it changes (issue 20): a layer of 1,000 tiles in a git repository, published,
 * then a merge that changes 3 tiles, published as the action decides (`update: auto`, an
 * incremental update) and, from the same state, as a full rebuild (`update: full`). What each sends:
 * the bytes of the upload, and the requests that change the datastore and all requests.
 * `npm run bench` adds its row to docs/benchmarks.md; `tsx bench/updates.ts` prints it alone.
 */

const TOKEN = 'bench-updates';
const TILES = 1000;
const CHANGED = 3;

export interface UpdateCost {
  files: number;
  bytes: number;
  /** Requests that change the datastore (POST, PUT, PATCH, DELETE). */
  changes: number;
  requests: number;
  ms: number;
}

const git = (cwd: string, ...args: string[]) =>
  execFileSync('git', ['-c', 'user.name=bench', '-c', 'user.email=b@e', ...args], { cwd, encoding: 'utf8' }).trim();

/** The cost of publishing `dir`'s HEAD to `emu` with `update`. */
async function publish(emu: Emulator, dir: string, update: string, node: string): Promise<UpdateCost> {
  const since = emu.requests.length;
  const run = await runAction({
    node,
    workspace: dir,
    inputs: {
      datastore: emu.datastore,
      glob: 'rasters/**',
      name: 'bench-updates',
      srs: 'EPSG:2154',
      token: TOKEN,
      'api-url': emu.apiUrl,
      'poll-interval': '0.05',
      layer: 'bench_updates',
      services: 'wmts',
      update,
    },
    env: { GITHUB_SHA: git(dir, 'rev-parse', 'HEAD') },
  });
  if (run.exitCode !== 0) throw new Error(`the action failed: ${run.errors.join(' ')}`);
  const requests = emu.requests.slice(since);
  const upload = emu.store.uploads.get(run.outputs['upload-id']);
  const data = upload ? [...upload.files.values()].filter((f) => f.path.startsWith('data/')) : [];
  return {
    files: data.length,
    bytes: data.reduce((sum, f) => sum + f.size, 0),
    changes: requests.filter((r) => r.method !== 'GET').length,
    requests: requests.length,
    ms: run.ms,
  };
}

export async function measureUpdates(node = process.execPath): Promise<{ incremental: UpdateCost; full: UpdateCost }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'bench-updates-'));
  const emu = new Emulator({ staticTokens: [TOKEN], checkDurationMs: 20, layers: { pyramidDurationMs: 20, publishDelayMs: 10 } });
  await emu.start();
  try {
    const tif = await readFile(path.join(ROOT, 'test', 'fixtures', 'geotiff-2154.tif'));
    for (let d = 0; d < 10; d++) {
      await mkdir(path.join(dir, 'rasters', `d${d}`), { recursive: true });
      for (let i = 0; i < TILES / 10; i++) await writeFile(path.join(dir, 'rasters', `d${d}`, `t_${d}_${i}.tif`), tif);
    }
    git(dir, 'init', '-q', '-b', 'main');
    git(dir, 'add', '-A');
    git(dir, 'commit', '-q', '-m', 'layer');
    await publish(emu, dir, 'auto', node);
    for (let i = 0; i < CHANGED; i++) await appendFile(path.join(dir, 'rasters', 'd0', `t_0_${i}.tif`), Buffer.alloc(1000, i + 1));
    git(dir, 'commit', '-q', '-am', 'three tiles');
    const incremental = await publish(emu, dir, 'auto', node);
    // The same merge as a full rebuild, from the same live layer (the incremental update's).
    const full = await publish(emu, dir, 'full', node);
    return { incremental, full };
  } finally {
    await emu.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

/** The table row of docs/benchmarks.md. */
export function updatesSection(costs: { incremental: UpdateCost; full: UpdateCost }): string {
  const row = (label: string, c: UpdateCost) =>
    `| ${label} | ${c.files} | ${(c.bytes / 1e3).toFixed(1)} KB | ${c.changes} | ${c.requests} | ${(c.ms / 1000).toFixed(1)} s |`;
  return `## A merge costs what it changes

A layer of ${TILES} tiles in a git repository (the emulator's pyramid builds in a moment: what is
measured is what the action sends), then a merge that changes ${CHANGED} of them.

| that merge, published as | files sent | bytes sent | requests that change the datastore | requests | time |
|---|---|---|---|---|---|
${row('an incremental update (update: auto)', costs.incremental)}
${row('a full rebuild (update: full)', costs.full)}
`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) console.log(updatesSection(await measureUpdates()));
