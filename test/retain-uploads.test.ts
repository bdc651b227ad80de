import { describe, expect, it } from 'vitest';
import type { Emulator } from '../emulator/server.js';
import { runAction } from '../scripts/action-runner.js';
import { actionInputs, harness } from './support/harness.js';

// Upload only (issue 26): each merge leaves a CLOSED upload behind; the run says what the earlier
// ones take, and with retain-uploads keeps only the newest N that this repository made.

const TOKEN = 'retain-token';
const { emulator, workspace } = harness({ staticTokens: [TOKEN] });
const sha = (n: number) => String(n).repeat(40).slice(0, 40);
const deliver = (emu: Emulator, dir: string, n: number, extra: Record<string, string> = {}) =>
  runAction({ workspace: dir, inputs: actionInputs(emu, TOKEN, extra), env: { GITHUB_SHA: sha(n) } });
const closed = (emu: Emulator) => emu.liveUploads().filter((u) => u.status === 'CLOSED');

describe('earlier uploads of the name', () => {
  it('all (the default): none deleted, the summary says how many remain and their size', async () => {
    const emu = await emulator();
    const dir = await workspace();
    for (const n of [1, 2]) expect((await deliver(emu, dir, n)).exitCode).toBe(0);
    const third = await deliver(emu, dir, 3);
    expect(third.exitCode, third.stdout).toBe(0);
    expect(closed(emu)).toHaveLength(3);
    expect(third.stdout).toMatch(
      /2 earlier CLOSED uploads of this name from this repository remain \(8\.7 KB\); retain-uploads: N keeps only the newest N/,
    );
    expect(third.summary).toContain('<th>Earlier uploads</th>');
  });

  it("retain-uploads: 2 keeps this run's and the one before, deleting older ones; never an upload another repository made", async () => {
    const emu = await emulator();
    const dir = await workspace();
    const others = emu.store.createUpload({ name: 'ortho-2024', description: 'x', type: 'RASTER', srs: 'EPSG:2154' });
    others.status = 'CLOSED';
    others.tags = { github_repository: 'someone-else/rasters' };
    const runs = [];
    for (const n of [1, 2, 3, 4]) runs.push(await deliver(emu, dir, n, { 'retain-uploads': '2' }));
    for (const run of runs) expect(run.exitCode, run.stdout).toBe(0);
    expect(
      closed(emu)
        .map((u) => u._id)
        .sort(),
    ).toEqual([others._id, runs[2].outputs['upload-id'], runs[3].outputs['upload-id']].sort());
    expect(runs[3].stdout).toMatch(
      /1 earlier CLOSED upload of this name from this repository remains \([\d.]+ KB\); deleted 1 older one \(retain-uploads: 2\)/,
    );
  });

  it('with layer, retain-uploads is refused: a layer deletes its upload', async () => {
    const emu = await emulator();
    const run = await deliver(emu, await workspace(), 1, { layer: 'l', 'retain-uploads': '2' });
    expect(run.errors).toEqual([expect.stringMatching(/^::error::Input 'retain-uploads': applies without layer/)]);
  });
});
