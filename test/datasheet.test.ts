import { describe, expect, it } from 'vitest';
import type { Emulator } from '../emulator/server.js';
import { runAction } from '../scripts/action-runner.js';
import { actionInputs, harness } from './support/harness.js';
import { git, initRepository } from './support/git.js';

// Catalogue-ready (issue 27), the fiche: `datasheet` sets the same datasheet_name on the upload, the
// pyramid and every configuration (the portal lists a fiche's services from its configurations).

const TOKEN = 'fiche-token';
const { emulator, workspace } = harness({ staticTokens: [TOKEN], layers: { pyramidDurationMs: 40, publishDelayMs: 20 } });
const NAME = 'Orthophotos 2024 (région)';
/** The samples in a repository of one commit: a run without a change is then told apart from a rebuild. */
async function repository(): Promise<string> {
  return initRepository(await workspace());
}
const shaOf = (dir: string) => ({ GITHUB_SHA: git(dir, 'rev-parse', 'HEAD') });
const publish = (emu: Emulator, dir: string, extra: Record<string, string> = {}) =>
  runAction({ workspace: dir, inputs: actionInputs(emu, TOKEN, { layer: 'ortho_2024', services: 'wmts,wms', ...extra }), env: shaOf(dir) });

describe('the fiche de données', () => {
  it('one datasheet_name on the upload, the pyramid and every configuration; the summary links the fiche; a second run writes nothing', async () => {
    const emu = await emulator();
    const dir = await repository();
    const first = await publish(emu, dir, { datasheet: NAME, 'keep-upload': 'true' });
    expect(first.exitCode, first.stdout).toBe(0);
    expect(emu.liveUploads()[0].tags.datasheet_name).toBe(NAME);
    expect(emu.layers.liveStoredData()[0].tags.datasheet_name).toBe(NAME);
    const configurations = [...emu.layers.configurations.values()];
    expect(configurations).toHaveLength(2);
    for (const c of configurations) expect(c.tags.datasheet_name).toBe(NAME);
    expect(first.outputs['fiche-url']).toBe(
      `https://cartes.gouv.fr/tableau-de-bord/entrepots/${emu.datastore}/donnees/${encodeURIComponent(NAME)}`,
    );
    expect(first.summary).toContain('the fiche de données in cartes.gouv.fr</a>');
    const since = emu.requests.length;
    const again = await publish(emu, dir, { datasheet: NAME, 'keep-upload': 'true' });
    expect(again.exitCode, again.stdout).toBe(0);
    expect(
      emu.requests
        .slice(since)
        .filter((r) => r.method !== 'GET' && r.route !== 'token')
        .map((r) => r.route),
    ).toEqual([]);
  });

  it('a layer published without a fiche gets one: its configurations and its live pyramid tagged, nothing built', async () => {
    const emu = await emulator();
    const dir = await repository();
    expect((await publish(emu, dir)).exitCode).toBe(0);
    const built = { ...emu.layers.liveStoredData()[0].tags };
    const since = emu.requests.length;
    const run = await publish(emu, dir, { tags: `datasheet_name=${NAME}` });
    expect(run.exitCode, run.stdout).toBe(0);
    for (const c of emu.layers.configurations.values()) expect(c.tags.datasheet_name).toBe(NAME);
    // The fiche's "Données" tab lists the stored data that carry its name; the build's own tags stay.
    const [pyramid] = emu.layers.liveStoredData();
    expect(pyramid.tags.datasheet_name).toBe(NAME);
    expect(pyramid.tags).toEqual({ ...built, datasheet_name: NAME });
    expect(emu.requests.slice(since).filter((r) => r.route === 'createExecution')).toHaveLength(0);
    // And once tagged, a run writes nothing.
    const quiet = emu.requests.length;
    expect((await publish(emu, dir, { tags: `datasheet_name=${NAME}` })).exitCode).toBe(0);
    expect(emu.requests.slice(quiet).filter((r) => r.method !== 'GET' && r.route !== 'token')).toEqual([]);
  });

  it('a datasheet that disagrees with the tags is refused before anything is sent', async () => {
    const emu = await emulator();
    const run = await publish(emu, await repository(), { datasheet: 'A', tags: 'datasheet_name=B' });
    expect(run.errors).toEqual([expect.stringMatching(/^::error::Input 'datasheet': is 'A' but tags say datasheet_name=B/)]);
    expect(emu.requests).toHaveLength(0);
  });
});
