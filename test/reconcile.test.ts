import { appendFile, copyFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Emulator } from '../emulator/server.js';
import { runAction } from '../scripts/action-runner.js';
import { actionInputs, harness } from './support/harness.js';
import { FIXTURES } from './support/workspace.js';
import { commit, git, initRepository } from './support/git.js';

// The served layer is the merged commit (issue 24): the update as a reconcile of what is live with
// what the run's commit asks, over HTTP with the bundle, on git workspaces, each run told its commit
// as GitHub tells it (GITHUB_SHA).

const TOKEN = 'reconcile-token';
const { emulator, workspace } = harness({ staticTokens: [TOKEN], layers: { pyramidDurationMs: 40, publishDelayMs: 20 } });
const count = (emu: Emulator, route: string, since = 0) => emu.requests.slice(since).filter((r) => r.route === route).length;
const LAYER = 'ortho_reconcile';

async function repository(): Promise<string> {
  return initRepository(await workspace());
}
async function publish(emu: Emulator, dir: string, extra: Record<string, string> = {}) {
  const sha = git(dir, 'rev-parse', 'HEAD');
  return runAction({
    workspace: dir,
    inputs: actionInputs(emu, TOKEN, { layer: LAYER, services: 'wmts', ...extra }),
    env: { GITHUB_SHA: sha },
  });
}
const ortho = (dir: string, name: string) => path.join(dir, 'rasters', 'ortho', name);
const configurations = (emu: Emulator) => [...emu.layers.configurations.values()];

describe('the layer reconciled with the merged commit', () => {
  it('a run for an older commit changes nothing and says so: stale', async () => {
    const emu = await emulator();
    const dir = await repository();
    const older = git(dir, 'rev-parse', 'HEAD');
    expect((await publish(emu, dir)).exitCode).toBe(0);
    await copyFile(path.join(FIXTURES, 'geotiff-2154.tif'), ortho(dir, 'ortho_new.tif'));
    const newer = commit(dir, 'second');
    const second = await publish(emu, dir);
    expect(second.outputs.update).toBe('incremental');
    // "Re-run failed jobs" on last week's run: the older commit checked out again.
    git(dir, 'checkout', '-q', older);
    const since = emu.requests.length;
    const stale = await publish(emu, dir);
    expect(stale.exitCode, stale.stdout).toBe(0);
    expect(stale.outputs.update).toBe('stale');
    expect(stale.warnings.join('\n')).toContain(`commit ${older.slice(0, 7)} is older than ${newer.slice(0, 7)}`);
    for (const route of ['createUpload', 'postData', 'createExecution', 'replaceConfiguration', 'syncOffering', 'deleteStoredData'])
      expect(count(emu, route, since), route).toBe(0);
    expect(configurations(emu)[0].type_infos.used_data[0].stored_data).toBe(second.outputs['stored-data-id']);
  });

  it('a half-switched layer (WMTS new, WMS old) converges on a re-run, building nothing', async () => {
    const emu = await emulator();
    const dir = await repository();
    expect((await publish(emu, dir, { services: 'wmts,wms' })).exitCode).toBe(0);
    await copyFile(path.join(FIXTURES, 'geotiff-2154.tif'), ortho(dir, 'ortho_new.tif'));
    commit(dir, 'second');
    // The second configuration's PUT is refused: WMTS serves the new pyramid, WMS the old one.
    emu.faults.add({ route: 'replaceConfiguration', skip: 1, times: 1, fault: { status: 400 } });
    const failed = await publish(emu, dir, { services: 'wmts,wms' });
    expect(failed.exitCode).toBe(1);
    const used = () => new Set(configurations(emu).map((c) => c.type_infos.used_data[0].stored_data));
    expect(used().size).toBe(2);
    const executions = count(emu, 'createExecution');
    const again = await publish(emu, dir, { services: 'wmts,wms' });
    expect(again.exitCode, again.stdout).toBe(0);
    expect(again.outputs.update).toBe('reconfigured');
    expect([...used()]).toEqual([failed.outputs['stored-data-id']]);
    expect(count(emu, 'createExecution')).toBe(executions);
  });

  it('a world file changed alone (the scan georeferenced elsewhere) rebuilds in full', async () => {
    const emu = await emulator();
    const dir = await repository();
    await publish(emu, dir);
    await writeFile(path.join(dir, 'rasters', 'scans', 'scan_1950.tfw'), '10.0\n0.0\n0.0\n-10.0\n700005\n6900995\n');
    commit(dir, 'moved scan');
    const run = await publish(emu, dir);
    expect(run.exitCode, run.stdout).toBe(0);
    expect(run.outputs.update).toBe('full');
    expect(run.stdout).toMatch(/the ground moved: rasters\/scans\/scan_1950\.tfw \(its world file changed\)/);
  });

  it('a GeoTIFF replaced by one of other ground rebuilds in full', async () => {
    const emu = await emulator();
    const dir = await repository();
    await publish(emu, dir);
    await copyFile(ortho(dir, 'ortho_650320_6860000.tif'), ortho(dir, 'ortho_650000_6860000.tif'));
    commit(dir, 'moved tile');
    const run = await publish(emu, dir);
    expect(run.outputs.update).toBe('full');
    expect(run.stdout).toMatch(/the ground moved: rasters\/ortho\/ortho_650000_6860000\.tif \(its georeferencing changed\)/);
  });

  it('a TIFF changed alone is sent with its world file', async () => {
    const emu = await emulator();
    const dir = await repository();
    await publish(emu, dir);
    // Other bytes, the same header: the same ground.
    await appendFile(path.join(dir, 'rasters', 'scans', 'scan_1950.tif'), Buffer.from([0]));
    commit(dir, 'retouched scan');
    const since = emu.requests.length;
    const run = await publish(emu, dir);
    expect(run.exitCode, run.stdout).toBe(0);
    expect(run.outputs.update).toBe('incremental');
    const sent = emu.requests
      .slice(since)
      .filter((r) => r.route === 'postData')
      .map((r) => r.query.path)
      .sort();
    expect(sent).toEqual(['data/scans/scan_1950.tfw', 'data/scans/scan_1950.tif']);
  });

  it('a tile deleted inside a submodule rebuilds in full: git cannot follow it there', async () => {
    const emu = await emulator();
    const inner = await workspace({ 'tile.tif': 'fixture:geotiff-2154.tif', 'other.tif': 'fixture:bigtiff-2154.tif' }, false);
    git(inner, 'init', '-q', '-b', 'main');
    commit(inner, 'inner');
    const dir = await repository();
    git(dir, 'submodule', 'add', '-q', inner, 'rasters/sub');
    commit(dir, 'with a submodule');
    expect((await publish(emu, dir, { glob: 'rasters/sub/*.tif' })).exitCode).toBe(0);
    await rm(path.join(dir, 'rasters', 'sub', 'other.tif'));
    git(path.join(dir, 'rasters', 'sub'), 'add', '-A');
    git(path.join(dir, 'rasters', 'sub'), '-c', 'user.name=t', '-c', 'user.email=t@e', 'commit', '-q', '-m', 'deleted');
    commit(dir, 'submodule moved on');
    const run = await publish(emu, dir, { glob: 'rasters/sub/*.tif' });
    expect(run.outputs.update).toBe('full');
    expect(run.stdout).toMatch(/lie under a submodule or a symlink/);
  });

  it('services + wms and a new title on an unchanged layer are applied, without building', async () => {
    const emu = await emulator();
    const dir = await repository();
    await publish(emu, dir);
    const since = emu.requests.length;
    const run = await publish(emu, dir, { services: 'wmts,wms', 'layer-title': 'Orthos, retitled' });
    expect(run.exitCode, run.stdout).toBe(0);
    expect(run.outputs.update).toBe('reconfigured');
    expect(
      configurations(emu)
        .map((c) => [c.type, c.type_infos.title])
        .sort(),
    ).toEqual([
      ['WMS-RASTER', 'Orthos, retitled'],
      ['WMTS-TMS', 'Orthos, retitled'],
    ]);
    for (const route of ['createUpload', 'createExecution']) expect(count(emu, route, since), route).toBe(0);
  });

  it("a live pyramid with the commit but without this action's parameters tag updates incrementally", async () => {
    const emu = await emulator();
    const dir = await repository();
    const first = await publish(emu, dir);
    // Published by another tool: its commit, none of the action's own tags.
    const tags = emu.layers.storedData.get(first.outputs['stored-data-id'])!.tags;
    for (const key of ['parameters', 'chain', 'attempt']) delete tags[key];
    await copyFile(path.join(FIXTURES, 'geotiff-2154.tif'), ortho(dir, 'ortho_new.tif'));
    commit(dir, 'second');
    const run = await publish(emu, dir);
    expect(run.exitCode, run.stdout).toBe(0);
    expect(run.outputs.update).toBe('incremental');
  });

  it('a configuration read with a computed bbox is never PUT back with it', async () => {
    const emu = await emulator();
    const dir = await repository();
    await publish(emu, dir);
    expect(configurations(emu)[0].type_infos.bbox).toBeDefined();
    await copyFile(path.join(FIXTURES, 'geotiff-2154.tif'), ortho(dir, 'ortho_new.tif'));
    commit(dir, 'second');
    expect((await publish(emu, dir)).exitCode).toBe(0);
    expect(emu.layers.putBodies.length).toBeGreaterThan(0);
    for (const { body } of emu.layers.putBodies) expect(body.type_infos).not.toHaveProperty('bbox');
  });

  it('the old chain is deleted only once the sync shows, not on a PUBLISHED that predates it', async () => {
    const emu = await emulator({ layers: { pyramidDurationMs: 40, publishDelayMs: 20, modifyingLagMs: 400 } });
    const dir = await repository();
    await publish(emu, dir);
    await rm(ortho(dir, 'ortho_650320_6860000.tif'));
    commit(dir, 'deleted');
    const run = await publish(emu, dir);
    expect(run.outputs.update).toBe('full');
    const synced = emu.requests.find((r) => r.route === 'syncOffering');
    const deleted = emu.requests.find((r) => r.route === 'deleteStoredData');
    // The sync shows 400 ms after its PUT at the earliest: a deletion sooner would have trusted an old PUBLISHED.
    expect((deleted?.time ?? 0) - (synced?.time ?? 0)).toBeGreaterThanOrEqual(400);
  });

  it('a pyramid whose deletion was refused is deleted by the next run', async () => {
    const emu = await emulator();
    const dir = await repository();
    const first = await publish(emu, dir);
    await rm(ortho(dir, 'ortho_650320_6860000.tif'));
    commit(dir, 'deleted');
    emu.faults.add({ route: 'deleteStoredData', times: 1, fault: { status: 409 } });
    const second = await publish(emu, dir);
    expect(second.exitCode, second.stdout).toBe(0);
    expect(second.warnings.join('\n')).toMatch(
      new RegExp(`Pyramid ${first.outputs['stored-data-id']} was kept .*the next run tries again`),
    );
    const third = await publish(emu, dir);
    expect(third.outputs.update).toBe('unchanged');
    expect(emu.layers.liveStoredData().map((sd) => sd._id)).toEqual([second.outputs['stored-data-id']]);
  });

  it('an execution that ended ABORTED is built again on a re-run, once, and said', async () => {
    const emu = await emulator({ layers: { pyramidDurationMs: 40, publishDelayMs: 20, abortNext: 1 } });
    const dir = await repository();
    const first = await publish(emu, dir);
    expect(first.exitCode).toBe(1);
    // A first pyramid that failed: no layer to leave as it was; what is kept, and what a re-run does.
    expect(first.errors.at(-1)).toMatch(
      /ABORTED\).*; no layer was published; the CLOSED upload is kept: a re-run builds the pyramid from it once more/,
    );
    const again = await publish(emu, dir);
    expect(again.exitCode, again.stdout).toBe(0);
    expect(again.warnings.join('\n')).toMatch(/ended ABORTED: it is built again, once/);
    expect(count(emu, 'createExecution')).toBe(2);
    // The aborted one is the layer's and unused: cleaned up.
    expect(emu.layers.liveStoredData().map((sd) => sd._id)).toEqual([again.outputs['stored-data-id']]);
  });
});
