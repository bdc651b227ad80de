import { execFileSync } from 'node:child_process';
import { copyFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Emulator } from '../emulator/server.js';
import { runAction } from '../scripts/action-runner.js';
import { actionInputs, harness } from './support/harness.js';
import { FIXTURES } from './support/workspace.js';
import { commit, git, initRepository } from './support/git.js';

// A merge costs what it changes (issue 20): over HTTP with the bundle, on git workspaces of two
// commits, each run told its commit as GitHub tells it (GITHUB_SHA).

const TOKEN = 'update-token';
const { emulator, workspace } = harness({ staticTokens: [TOKEN], layers: { pyramidDurationMs: 40, publishDelayMs: 20 } });
const count = (emu: Emulator, route: string, since = 0) => emu.requests.slice(since).filter((r) => r.route === route).length;

/** The samples in a repository of one commit. */
async function repository(): Promise<string> {
  return initRepository(await workspace());
}
async function publish(emu: Emulator, dir: string, extra: Record<string, string> = {}) {
  const sha = git(dir, 'rev-parse', 'HEAD');
  const inputs = actionInputs(emu, TOKEN, { layer: 'ortho_updates', services: 'wmts', ...extra });
  const run = await runAction({ workspace: dir, inputs, env: { GITHUB_SHA: sha } });
  return run;
}
const tile = (dir: string, name: string) => path.join(dir, 'rasters', 'ortho', name);

describe('updates of a live layer', () => {
  it('a modified and an added tile: exactly those 2 files sent, a pyramid that references the live one, which is kept', async () => {
    const emu = await emulator();
    const dir = await repository();
    const first = await publish(emu, dir);
    expect(first.exitCode, first.stdout).toBe(0);
    expect(first.outputs).toMatchObject({ update: 'created', changed: '6' });
    const live = first.outputs['stored-data-id'];

    await copyFile(path.join(FIXTURES, 'bigtiff-2154.tif'), tile(dir, 'ortho_650000_6860000.tif'));
    await copyFile(path.join(FIXTURES, 'geotiff-2154.tif'), tile(dir, 'ortho_new.tif'));
    commit(dir, 'second');
    const since = emu.requests.length;
    const second = await publish(emu, dir);
    expect(second.exitCode, second.stdout).toBe(0);
    expect(second.outputs).toMatchObject({ update: 'incremental', changed: '2', uploaded: '2', files: '7' });
    expect(
      emu.requests
        .slice(since)
        .filter((r) => r.route === 'postData')
        .map((r) => r.query.path)
        .sort(),
    ).toEqual(['data/ortho/ortho_650000_6860000.tif', 'data/ortho/ortho_new.tif']);
    const next = emu.layers.storedData.get(second.outputs['stored-data-id']);
    expect(next?.references).toEqual([live]);
    expect(next?.tags).toMatchObject({ chain: '1' });
    expect(emu.layers.liveStoredData().some((sd) => sd._id === live)).toBe(true);
    expect([...emu.layers.configurations.values()][0].type_infos.used_data[0].stored_data).toBe(next?._id);
    expect(second.stdout).toMatch(
      /Update of layer ortho_updates: incremental, 2 files changed since [0-9a-f]{7} \(1 added, 1 modified, of 7\)/,
    );
    expect(second.summary).toMatch(/<tr><th>Update<\/th><td>incremental: 2 files changed since/);
  });

  it('a re-run of the commit after a failure goes on from its incremental upload and pyramid', async () => {
    const emu = await emulator();
    const dir = await repository();
    const first = await publish(emu, dir);
    await copyFile(path.join(FIXTURES, 'geotiff-2154.tif'), tile(dir, 'ortho_new.tif'));
    commit(dir, 'second');
    emu.faults.add({ route: 'replaceConfiguration', fault: { status: 500 } });
    const failed = await publish(emu, dir, { retries: '1' });
    expect(failed.exitCode).toBe(1);
    expect(failed.outputs.update).toBe('incremental');
    emu.faults.clear();
    const posts = count(emu, 'postData');
    const again = await publish(emu, dir);
    expect(again.exitCode, again.stdout).toBe(0);
    expect(again.outputs).toMatchObject({ update: 'incremental', uploaded: '0', 'upload-id': failed.outputs['upload-id'] });
    expect(again.outputs['stored-data-id']).toBe(failed.outputs['stored-data-id']);
    expect(count(emu, 'postData')).toBe(posts);
    expect(count(emu, 'createUpload')).toBe(2);
    expect(count(emu, 'createExecution')).toBe(2);
    expect(emu.layers.storedData.get(again.outputs['stored-data-id'])?.references).toEqual([first.outputs['stored-data-id']]);
  });

  it('a deleted tile rebuilds in full, and the whole previous chain is deleted', async () => {
    const emu = await emulator();
    const dir = await repository();
    const first = await publish(emu, dir);
    await copyFile(path.join(FIXTURES, 'geotiff-2154.tif'), tile(dir, 'ortho_new.tif'));
    commit(dir, 'second');
    const second = await publish(emu, dir);
    expect(second.outputs.update).toBe('incremental');
    await rm(tile(dir, 'ortho_650320_6860000.tif'));
    commit(dir, 'third');
    const third = await publish(emu, dir);
    expect(third.exitCode, third.stdout).toBe(0);
    expect(third.outputs).toMatchObject({ update: 'full', changed: '6' });
    expect(third.errors).toEqual([]);
    expect(third.stdout).toMatch(
      /::notice::A full rebuild of layer ortho_updates: 1 file deleted or renamed away since [0-9a-f]{7} \(rasters\/ortho\/ortho_650320_6860000\.tif\)/,
    );
    // Both pyramids of the chain are gone, newest first; only the new one is left.
    expect(emu.layers.liveStoredData().map((sd) => sd._id)).toEqual([third.outputs['stored-data-id']]);
    const deletes = emu.requests.filter((r) => r.route === 'deleteStoredData').map((r) => r.path.split('/').pop());
    expect(deletes).toEqual([second.outputs['stored-data-id'], first.outputs['stored-data-id']]);
  });

  it('a change outside the patterns, or a re-run after success, creates nothing', async () => {
    const emu = await emulator();
    const dir = await repository();
    const first = await publish(emu, dir);
    const again = await publish(emu, dir);
    expect(again.exitCode, again.stdout).toBe(0);
    expect(again.outputs).toMatchObject({ update: 'unchanged', changed: '0', 'stored-data-id': first.outputs['stored-data-id'] });
    expect(again.outputs['layer-urls']).toBe(first.outputs['layer-urls']);
    execFileSync('sh', ['-c', 'echo "# notes" > README.md'], { cwd: dir });
    commit(dir, 'docs');
    const since = emu.requests.length;
    const docs = await publish(emu, dir);
    expect(docs.exitCode, docs.stdout).toBe(0);
    expect(docs.outputs.update).toBe('unchanged');
    expect(emu.requests.slice(since).filter((r) => r.method !== 'GET')).toEqual([]);
    expect(count(emu, 'createUpload')).toBe(1);
  });

  it('a dry run plans the update and says why, sending and building nothing', async () => {
    const emu = await emulator();
    const dir = await repository();
    await publish(emu, dir);
    await copyFile(path.join(FIXTURES, 'geotiff-2154.tif'), tile(dir, 'ortho_new.tif'));
    commit(dir, 'second');
    const since = emu.requests.length;
    const dry = await publish(emu, dir, { 'dry-run': 'true' });
    expect(dry.exitCode, dry.stdout).toBe(0);
    expect(dry.stdout).toMatch(/Update of layer ortho_updates: incremental, 1 file changed since [0-9a-f]{7} \(1 added, of 7\)/);
    expect(dry.stdout).toMatch(/^\+ data\/ortho\/ortho_new\.tif .*: to send$/m);
    expect(dry.stdout).not.toMatch(/^\+ data\/ortho\/ortho_650320_6860000\.tif/m);
    expect(dry.summary).toMatch(/<tr><th>Action<\/th><td>would update<\/td><\/tr>/);
    expect(dry.outputs).toMatchObject({ update: 'incremental', changed: '1' });
    expect(emu.requests.slice(since).filter((r) => r.method !== 'GET')).toEqual([]);
  });

  it('a parameter change rebuilds in full', async () => {
    const emu = await emulator();
    const dir = await repository();
    const first = await publish(emu, dir);
    commit(dir, 'nothing');
    const second = await publish(emu, dir, { tms: 'LAMB93_10cm' });
    expect(second.exitCode, second.stdout).toBe(0);
    expect(second.outputs.update).toBe('full');
    expect(second.stdout).toMatch(
      // Read from the live pyramid's own type_infos, not from a tag.
      /the pyramid's parameters change \(tms PM → LAMB93_10cm\)/,
    );
    expect(emu.layers.liveStoredData().some((sd) => sd._id === first.outputs['stored-data-id'])).toBe(false);
  });

  it('update: incremental refuses a case that needs a full rebuild, before anything is sent', async () => {
    const emu = await emulator();
    const dir = await repository();
    await publish(emu, dir);
    await rm(tile(dir, 'ortho_650320_6860000.tif'));
    commit(dir, 'second');
    const since = emu.requests.length;
    const second = await publish(emu, dir, { update: 'incremental' });
    expect(second.exitCode).toBe(1);
    expect(second.errors).toEqual([
      expect.stringMatching(
        /^::error::Input 'update': is incremental, but 1 file deleted or renamed away since [0-9a-f]{7} .*: a full rebuild is needed; set update: auto \(or full\)$/,
      ),
    ]);
    expect(emu.requests.slice(since).filter((r) => r.method !== 'GET')).toEqual([]);
  });

  it('without git, auto rebuilds in full and says why', async () => {
    const emu = await emulator();
    const dir = await workspace();
    await publish(emu, dir).catch(() => undefined);
    const first = await runAction({ workspace: dir, inputs: actionInputs(emu, TOKEN, { layer: 'no_git', services: 'wmts' }) });
    expect(first.outputs.update).toBe('created');
    const second = await runAction({ workspace: dir, inputs: actionInputs(emu, TOKEN, { layer: 'no_git', services: 'wmts' }) });
    expect(second.exitCode, second.stdout).toBe(0);
    expect(second.outputs.update).toBe('full');
    expect(second.stdout).toMatch(/::notice::A full rebuild of layer no_git: the workspace is not a git repository/);
  });
});
