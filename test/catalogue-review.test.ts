import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { marked } from 'marked';
import { describe, expect, it } from 'vitest';
import { GitHubApi } from '../emulator/github.js';
import type { Emulator } from '../emulator/server.js';
import { runAction } from '../scripts/action-runner.js';
import { DESCRIPTION, el, writesSince, xpath } from './support/catalogue.js';
import { git, initRepository } from './support/git.js';
import { actionInputs, harness } from './support/harness.js';
import { fixture } from './support/workspace.js';

// Catalogue-ready (issue 27): the record's recoveries (a lost answer to its create, to the
// thumbnail's), the thumbnail replaced when its image changes, keywords that reach every
// configuration, metadata-publish, and the pull-request review of what a merge changes in the record.

const TOKEN = 'review-token';
const { emulator, workspace, defer } = harness({ staticTokens: [TOKEN], layers: { pyramidDurationMs: 40, publishDelayMs: 20 } });
const FICHE = 'Orthophotos 2024';
const LAYER = 'ortho_2024';
const PR = 7;

const publish = (emu: Emulator, dir: string, extra: Record<string, string> = {}, env: Record<string, string> = {}) =>
  runAction({
    workspace: dir,
    inputs: actionInputs(emu, TOKEN, { layer: LAYER, services: 'wmts,wms', datasheet: FICHE, metadata: 'catalogue/ortho.yml', ...extra }),
    env: { GITHUB_SHA: git(dir, 'rev-parse', 'HEAD'), ...env },
  });

async function edit(dir: string, files: Record<string, string | Buffer>): Promise<void> {
  for (const [file, content] of Object.entries(files)) await writeFile(path.join(dir, file), content);
  git(dir, 'add', '-A');
  git(dir, 'commit', '-q', '-m', 'edit');
}

async function pullRequest(gh: GitHubApi): Promise<Record<string, string>> {
  const folder = await mkdtemp(path.join(os.tmpdir(), 'event-'));
  defer(() => rm(folder, { recursive: true, force: true }));
  const file = path.join(folder, 'event.json');
  await writeFile(
    file,
    JSON.stringify({ number: PR, pull_request: { number: PR }, repository: { name: 'rasters', owner: { login: 'ign' } } }),
  );
  return { GITHUB_EVENT_NAME: 'pull_request', GITHUB_EVENT_PATH: file, GITHUB_API_URL: gh.url };
}

describe('the record, exactly once', () => {
  it('a lost answer to the record’s create: found again by its identifier, never made twice', async () => {
    const emu = await emulator();
    emu.faults.add({ route: 'createMetadata', times: 1, fault: { storeThen: 502 } });
    const dir = await initRepository(await workspace({ 'catalogue/ortho.yml': DESCRIPTION }));
    const run = await publish(emu, dir);
    expect(run.exitCode, run.stdout).toBe(0);
    expect(emu.faults.fired.map((f) => f.route)).toContain('createMetadata');
    expect(emu.catalogue.metadata.size).toBe(1);
    expect(emu.requests.filter((r) => r.route === 'createMetadata')).toHaveLength(1);
    const [record] = [...emu.catalogue.metadata.values()];
    expect(record.tags.datasheet_name).toBe(FICHE);
    expect(record.endpoints).toHaveLength(1);
    expect(run.outputs['metadata-id']).toBe(record._id);
  });

  it('a lost answer to the thumbnail’s create: found again at its path, never made twice', async () => {
    const emu = await emulator();
    emu.faults.add({ route: 'createAnnex', times: 1, fault: { storeThen: 'reset' } });
    const dir = await initRepository(await workspace({ 'catalogue/ortho.yml': DESCRIPTION }));
    const run = await publish(emu, dir);
    expect(run.exitCode, run.stdout).toBe(0);
    expect(emu.requests.filter((r) => r.route === 'createAnnex')).toHaveLength(1);
    expect(emu.catalogue.annexes.size).toBe(1);
  });
});

describe('the thumbnail, the keywords, the publication', () => {
  it('a thumbnail file that changes gets a new path; the record names it and the old one is deleted', async () => {
    const emu = await emulator();
    const png = await fixture('preview.png');
    const dir = await initRepository(await workspace({ 'catalogue/ortho.yml': DESCRIPTION, 'catalogue/thumb.png': png }));
    expect((await publish(emu, dir, { thumbnail: 'catalogue/thumb.png' })).exitCode).toBe(0);
    const [before] = [...emu.catalogue.annexes.values()];
    await edit(dir, { 'catalogue/thumb.png': Buffer.concat([png, Buffer.from('more bytes after the image end')]) });
    const since = emu.requests.length;
    const run = await publish(emu, dir, { thumbnail: 'catalogue/thumb.png' });
    expect(run.exitCode, run.stdout).toBe(0);
    expect(writesSince(emu, since)).toEqual(['createAnnex', 'replaceMetadata', 'deleteAnnex']);
    const [after] = [...emu.catalogue.annexes.values()];
    expect(after.paths[0]).not.toBe(before.paths[0]);
    const [record] = [...emu.catalogue.metadata.values()];
    expect(xpath(record.file.toString('utf8'), `string(//${el('graphicOverview')}//${el('fileName')}/${el('CharacterString')})`)).toBe(
      `${emu.url}/annexes/${emu.catalogue.technicalName}${after.paths[0]}`,
    );
  });

  it("a server that ignores the annexes' filters: another fiche's thumbnail is never taken for ours, nor deleted", async () => {
    const emu = await emulator({ catalogue: { ignoreFilters: true } });
    const png = await fixture('preview.png');
    const dir = await initRepository(await workspace({ 'catalogue/ortho.yml': DESCRIPTION, 'catalogue/thumb.png': png }));
    const form = new FormData();
    for (const [k, v] of [
      ['paths', 'thumbnail/other.png'],
      ['labels', 'type=thumbnail'],
      ['labels', 'datasheet_name=Another fiche'],
      ['published', 'true'],
    ])
      form.append(k, v);
    form.append('file', new Blob([png]), 'other.png');
    const other = await fetch(`${emu.apiUrl}/datastores/${emu.datastore}/annexes`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}` },
      body: form,
    });
    expect(other.status).toBe(201);
    expect((await publish(emu, dir, { thumbnail: 'catalogue/thumb.png' })).exitCode).toBe(0);
    await edit(dir, { 'catalogue/thumb.png': Buffer.concat([png, Buffer.from('changed')]) });
    const run = await publish(emu, dir, { thumbnail: 'catalogue/thumb.png' });
    expect(run.exitCode, run.stdout).toBe(0);
    const paths = [...emu.catalogue.annexes.values()].map((a) => a.paths[0]).sort();
    expect(paths).toHaveLength(2);
    expect(paths).toContain('/thumbnail/other.png');
  });

  it('a new keyword reaches every configuration (PUT, then each offering re-synchronised) and the record, nothing rebuilt', async () => {
    const emu = await emulator();
    const dir = await initRepository(await workspace({ 'catalogue/ortho.yml': DESCRIPTION }));
    expect((await publish(emu, dir)).exitCode).toBe(0);
    await edit(dir, {
      'catalogue/ortho.yml': DESCRIPTION.replace('keywords: [orthophoto, "2024"]', 'keywords: [orthophoto, "2024", ville]'),
    });
    const since = emu.requests.length;
    const run = await publish(emu, dir);
    expect(run.exitCode, run.stdout).toBe(0);
    expect(run.outputs.update).toBe('reconfigured');
    expect(writesSince(emu, since).sort()).toEqual([
      'replaceConfiguration',
      'replaceConfiguration',
      'replaceMetadata',
      'syncOffering',
      'syncOffering',
    ]);
    for (const c of emu.layers.configurations.values()) expect(c.type_infos.keywords).toContain('ville');
  });

  it('an account without the ANNEX right: the thumbnail is a warning naming it, the record is still written and published', async () => {
    const emu = await emulator({ rights: ['UPLOAD', 'PROCESSING', 'BROADCAST'] });
    const dir = await initRepository(await workspace({ 'catalogue/ortho.yml': DESCRIPTION }));
    const run = await publish(emu, dir);
    expect(run.exitCode, run.stdout).toBe(0);
    expect(run.warnings.join('\n')).toContain("the account likely lacks the datastore's ANNEX right");
    const [record] = [...emu.catalogue.metadata.values()];
    expect(record.endpoints).toHaveLength(1);
    expect(xpath(record.file.toString('utf8'), `count(//${el('graphicOverview')})`)).toBe('0');
  });

  it('metadata-publish: false keeps the record in the datastore only', async () => {
    const emu = await emulator();
    const dir = await initRepository(await workspace({ 'catalogue/ortho.yml': DESCRIPTION }));
    const run = await publish(emu, dir, { 'metadata-publish': 'false' });
    expect(run.exitCode, run.stdout).toBe(0);
    const [record] = [...emu.catalogue.metadata.values()];
    expect(record.endpoints).toEqual([]);
    expect(emu.requests.filter((r) => r.route === 'publishMetadata')).toEqual([]);
  });
});

describe('the review of a pull request', () => {
  it('a dry run on a pull request shows what the merge changes in the record, field by field, outside text in code spans', async () => {
    const emu = await emulator();
    const gh = new GitHubApi();
    await gh.start();
    defer(() => gh.stop());
    const dir = await initRepository(await workspace({ 'catalogue/ortho.yml': DESCRIPTION }));
    expect((await publish(emu, dir)).exitCode).toBe(0);
    const hostile = 'Ortho <img src=x onerror=alert(1)> | @team';
    await edit(dir, { 'catalogue/ortho.yml': DESCRIPTION.replace('title: Orthophotographie 2024', `title: "${hostile}"`) });
    const since = emu.requests.length;
    const run = await publish(emu, dir, { 'dry-run': 'true', 'github-token': 'gh-test-token' }, await pullRequest(gh));
    expect(run.exitCode, run.stdout).toBe(0);
    expect(writesSince(emu, since)).toEqual([]);
    const body = gh.comments.get(PR)?.[0]?.body ?? '';
    expect(body).toContain(`- **Metadata record** \`${LAYER}\`: would replace`);
    expect(body).toContain('| title | `Orthophotographie 2024` | `Ortho <img src=x onerror=alert(1)> \\| @team` |');
    // Rendered as GitHub renders Markdown: the title is text in a code span, never an element or a mention.
    const html = await marked.parse(body);
    expect(html).not.toContain('<img');
    expect(html).toContain('<code>Ortho &lt;img src=x onerror=alert(1)&gt; | @team</code>');
    expect(run.summary).toContain('<h3>Metadata record</h3>');
    expect(run.summary).toContain(
      '<td>title</td><td>Orthophotographie 2024</td><td>Ortho &#60;img src=x onerror=alert(1)&#62; &#124; @team</td>',
    );
  });
});

describe('the record against the platform', () => {
  it('a run for an older commit leaves the record as the newer commit wrote it', async () => {
    const emu = await emulator();
    const dir = await initRepository(await workspace({ 'catalogue/ortho.yml': DESCRIPTION }));
    const older = git(dir, 'rev-parse', 'HEAD');
    expect((await publish(emu, dir)).exitCode).toBe(0);
    await edit(dir, { 'catalogue/ortho.yml': DESCRIPTION.replace('title: Orthophotographie 2024', 'title: Orthophotographie, second') });
    expect((await publish(emu, dir)).exitCode).toBe(0);
    git(dir, 'checkout', '-q', older);
    const since = emu.requests.length;
    const stale = await publish(emu, dir);
    expect(stale.exitCode, stale.stdout).toBe(0);
    // The layer's pyramid still comes from the older commit (only the YAML changed since): the record tells.
    expect(stale.outputs.update).toBe('unchanged');
    expect(writesSince(emu, since)).toEqual([]);
    expect(stale.warnings.join('\n')).toMatch(
      /The metadata record was left as it is: it was written from commit [0-9a-f]{7}, newer than this run's/,
    );
    const [record] = [...emu.catalogue.metadata.values()];
    expect(record.file.toString('utf8')).toContain('Orthophotographie, second');
  });

  it('inspire: true on a published record: its type set (PATCH), then published again, as the API asks', async () => {
    const emu = await emulator();
    const dir = await initRepository(await workspace({ 'catalogue/ortho.yml': DESCRIPTION }));
    expect((await publish(emu, dir)).exitCode).toBe(0);
    await edit(dir, { 'catalogue/ortho.yml': `${DESCRIPTION}inspire: true\n` });
    const since = emu.requests.length;
    const run = await publish(emu, dir);
    expect(run.exitCode, run.stdout).toBe(0);
    expect(writesSince(emu, since)).toEqual(['patchMetadata', 'publishMetadata']);
    expect([...emu.catalogue.metadata.values()][0].type).toBe('INSPIRE');
  });

  it('a fiche whose record has another identifier (made in the portal, say): refused before any data POST, naming the one to keep', async () => {
    const emu = await emulator();
    const dir = await initRepository(await workspace({ 'catalogue/ortho.yml': DESCRIPTION }));
    expect((await publish(emu, dir)).exitCode).toBe(0);
    await edit(dir, { 'catalogue/ortho.yml': `${DESCRIPTION}identifier: ortho-renamed\n` });
    const since = emu.requests.length;
    const run = await publish(emu, dir);
    expect(run.exitCode).toBe(1);
    expect(run.errors).toEqual([
      `::error::Input 'metadata': the fiche '${FICHE}' has its record already, ${LAYER}, and a record's identifier never changes once published: set identifier: ${LAYER} in catalogue/ortho.yml (or delete that record first)`,
    ]);
    expect(writesSince(emu, since)).toEqual([]);
    expect(emu.catalogue.metadata.size).toBe(1);
  });

  it('an identifier another datastore holds: one error naming it and the fix, the record never made', async () => {
    const emu = await emulator({ catalogue: { takenIdentifiers: [LAYER] } });
    const dir = await initRepository(await workspace({ 'catalogue/ortho.yml': DESCRIPTION }));
    const run = await publish(emu, dir);
    expect(run.exitCode).toBe(1);
    expect(emu.catalogue.metadata.size).toBe(0);
    expect(run.errors).toEqual([
      `::error::Input 'metadata': the record's identifier ${LAYER} is taken on the platform, by a record outside this datastore (Le file identifier ${LAYER} est déjà utilisé sur la plateforme); set identifier in catalogue/ortho.yml to one of your own`,
    ]);
  });
});

describe('a fiche of two layers', () => {
  it('each layer writes the same record, with both layers’ services and extents; a re-run of either writes nothing', async () => {
    const emu = await emulator();
    const shared = `${DESCRIPTION}identifier: orthos\n`;
    const dir = await initRepository(await workspace({ 'catalogue/ortho.yml': shared }));
    const second = { layer: 'scans_1950', glob: 'rasters/scans/**', name: 'scans-1950', thumbnail: 'none' };
    expect((await publish(emu, dir, { glob: 'rasters/ortho/**', thumbnail: 'none' })).exitCode).toBe(0);
    const run = await publish(emu, dir, second);
    expect(run.exitCode, run.stdout).toBe(0);
    expect(emu.catalogue.metadata.size).toBe(1);
    const [record] = [...emu.catalogue.metadata.values()];
    const xml = record.file.toString('utf8');
    const names = xpath(xml, `//${el('onLine')}//${el('name')}/${el('CharacterString')}/text()`).split(/\s+/);
    expect(names).toEqual([LAYER, LAYER, 'scans_1950', 'scans_1950']);
    // The extent holds both layers' pyramids, as the platform computed them.
    const points = emu.layers
      .liveStoredData()
      .flatMap((sd) => JSON.stringify(sd.extent).match(/-?\d+\.\d+,-?\d+\.\d+/g) ?? [])
      .map((pair) => pair.split(',').map(Number));
    const bound = (name: string) => Number(xpath(xml, `string(//${el(name)}/${el('Decimal')})`));
    for (const [lon, lat] of points) {
      expect(lon).toBeGreaterThanOrEqual(bound('westBoundLongitude') - 1e-6);
      expect(lon).toBeLessThanOrEqual(bound('eastBoundLongitude') + 1e-6);
      expect(lat).toBeGreaterThanOrEqual(bound('southBoundLatitude') - 1e-6);
      expect(lat).toBeLessThanOrEqual(bound('northBoundLatitude') + 1e-6);
    }
    expect(points.length).toBeGreaterThan(4);
    const since = emu.requests.length;
    expect((await publish(emu, dir, { glob: 'rasters/ortho/**', thumbnail: 'none' })).exitCode).toBe(0);
    expect((await publish(emu, dir, second)).exitCode).toBe(0);
    expect(writesSince(emu, since)).toEqual([]);
  });
});
