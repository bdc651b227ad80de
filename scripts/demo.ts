import { execFileSync } from 'node:child_process';
import { copyFile, cp, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Emulator } from '../emulator/server.js';
import { ROOT, runAction, showAsTheRunner, type ActionRun } from './action-runner.js';

/**
 * `npm run demo`: what a merge does to a layer, against the emulator started here, with the bundled
 * action spawned exactly as the GitHub runner spawns it, on a scratch git copy of samples/rasters:
 *   1. the first merge publishes the layer (its log shown as the run page shows it);
 *   2. a merge that changes one tile sends that tile alone and updates the layer incrementally;
 *   3. a re-run of that commit changes nothing.
 */
const token = 'demo-token';
const emulator = new Emulator({ staticTokens: [token], checkDurationMs: 1500, layers: { pyramidDurationMs: 1500, publishDelayMs: 300 } });
await emulator.start();
const scratch = await mkdtemp(path.join(os.tmpdir(), 'demo-'));
const git = (...args: string[]) =>
  execFileSync('git', ['-c', 'user.name=Demo', '-c', 'user.email=demo@example.org', ...args], { cwd: scratch, encoding: 'utf8' }).trim();
await cp(path.join(ROOT, 'samples', 'rasters'), path.join(scratch, 'rasters'), { recursive: true });
await cp(path.join(ROOT, 'samples', 'catalogue'), path.join(scratch, 'catalogue'), { recursive: true });
git('init', '-q', '-b', 'main');
git('add', '-A');
git('commit', '-q', '-m', 'Orthophotos and scans');
console.log(`Emulator of the API Entrepôt on ${emulator.apiUrl} (datastore ${emulator.datastore}); a scratch repository in ${scratch}\n`);

const publish = (show: boolean): Promise<ActionRun> =>
  runAction({
    workspace: scratch,
    inputs: {
      datastore: emulator.datastore,
      glob: 'rasters/**',
      name: 'demo-orthophoto',
      srs: 'EPSG:2154',
      token,
      'api-url': emulator.apiUrl,
      'token-url': emulator.tokenUrl,
      datasheet: 'Orthophotos (démo)',
      metadata: 'catalogue/orthophoto.yml',
      'poll-interval': '0.5',
      layer: 'demo_orthophoto',
      services: 'wmts,wms',
      'layer-title': 'Orthophotos (demo)',
    },
    env: { GITHUB_SHA: git('rev-parse', 'HEAD') },
    onStdout: show ? showAsTheRunner : undefined,
  });
const said = (run: ActionRun) =>
  `update ${run.outputs.update}, ${run.outputs.changed ?? 0} file(s) changed, ${run.outputs.uploaded ?? 0} sent, in ${(run.ms / 1000).toFixed(1)} s`;

console.log('── 1. The first merge: the layer is created ──');
const first = await publish(true);
const served = Object.keys(JSON.parse(first.outputs['layer-urls'] ?? '{}') as object).join(', ');
console.log(
  first.exitCode === 0
    ? `\nPublished in ${(first.ms / 1000).toFixed(1)} s: upload ${first.outputs.status}, layer demo_orthophoto served by ${served}, its metadata record ${first.outputs['metadata-id']} in the catalogue.`
    : `\nThe action failed (exit code ${first.exitCode}).`,
);

let exitCode = first.exitCode ?? 1;
if (exitCode === 0) {
  // Same ground, other bytes: a retouched tile.
  await copyFile(
    path.join(ROOT, 'test', 'fixtures', 'bigtiff-2154.tif'),
    path.join(scratch, 'rasters', 'ortho', 'ortho_650000_6860000.tif'),
  );
  git('commit', '-q', '-am', 'Retouch one tile');
  console.log('\n── 2. A merge that changes one tile ──');
  const second = await publish(false);
  console.log(`The layer is updated incrementally: ${said(second)}; the new pyramid references the live one.`);
  console.log('\n── 3. A re-run of the same commit ──');
  const third = await publish(false);
  console.log(`Nothing changed since the live pyramid's commit: ${said(third)}; no upload, no pyramid.`);
  exitCode = second.exitCode || third.exitCode || 0;
}
await emulator.stop();
await rm(scratch, { recursive: true, force: true });
process.exit(exitCode);
