import { execFileSync } from 'node:child_process';
import { readFile, realpath, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Emulator, EmulatorOptions } from '../emulator/server.js';
import { runAction } from '../scripts/action-runner.js';
import { git, initRepository } from './support/git.js';
import { actionInputs, harness } from './support/harness.js';
import { FIXTURES } from './support/workspace.js';
import { DESCRIPTION, el, writesSince, xpath } from './support/catalogue.js';
import { portalEdit } from './support/portal.js';
import { contentOf, readFields } from '../src/catalogue/fields.js';

// Catalogue-ready (issue 27), over HTTP with the bundle: the fiche's metadata record generated from
// the repository's YAML, published, linked from every configuration, kept equal to the merged
// commit (a write only when its content differs), and refused before anything is sent when wrong.

const TOKEN = 'catalogue-token';
const { emulator, workspace } = harness({ staticTokens: [TOKEN], layers: { pyramidDurationMs: 40, publishDelayMs: 20 } });
const FICHE = 'Orthophotos 2024 (région)';
const LAYER = 'ortho_2024';

async function repository(description = DESCRIPTION): Promise<string> {
  return initRepository(await workspace({ 'catalogue/ortho.yml': description }));
}

async function edit(dir: string, file: string, content: string): Promise<void> {
  await writeFile(path.join(dir, file), content);
  git(dir, 'add', '-A');
  git(dir, 'commit', '-q', '-m', `edit ${file}`);
}

const publish = (emu: Emulator, dir: string, extra: Record<string, string> = {}, env: Record<string, string> = {}) =>
  runAction({
    workspace: dir,
    inputs: actionInputs(emu, TOKEN, { layer: LAYER, services: 'wmts,wms', datasheet: FICHE, metadata: 'catalogue/ortho.yml', ...extra }),
    env: { GITHUB_SHA: git(dir, 'rev-parse', 'HEAD'), ...env },
  });

/** The samples' WGS84 outlines as GDAL computes them: the extent the record must carry. */
async function samplesExtent(): Promise<[number, number, number, number]> {
  const outlines = JSON.parse(await readFile(path.join(FIXTURES, 'extents.json'), 'utf8')) as Record<string, { coordinates: number[][][] }>;
  const points = Object.entries(outlines)
    .filter(([file]) => file.startsWith('samples/rasters/'))
    .flatMap(([, polygon]) => polygon.coordinates[0]);
  const lons = points.map((p) => p[0]);
  const lats = points.map((p) => p[1]);
  return [Math.min(...lons), Math.min(...lats), Math.max(...lons), Math.max(...lats)];
}

async function published(options: EmulatorOptions = {}, extra: Record<string, string> = {}) {
  const emu = await emulator(options);
  const dir = await repository();
  const first = await publish(emu, dir, extra);
  expect(first.exitCode, first.stdout).toBe(0);
  return { emu, dir, first };
}

describe('the metadata record', () => {
  it('a first publication: one fiche name everywhere, the record published with the extent and both services, the configurations linked', async () => {
    const { emu, first } = await published({ catalogue: { metadataPrefix: 'VILLEX' } }, { 'keep-upload': 'true' });
    const [record] = [...emu.catalogue.metadata.values()];
    expect(record.file_identifier).toBe(`VILLEX.${LAYER}`);
    expect(first.outputs['metadata-id']).toBe(record._id);
    // The same datasheet_name on the upload, the pyramid, every configuration, the record and the thumbnail.
    expect(emu.liveUploads().map((u) => u.tags.datasheet_name)).toEqual([FICHE]);
    expect(emu.layers.liveStoredData().map((sd) => sd.tags.datasheet_name)).toEqual([FICHE]);
    const configurations = [...emu.layers.configurations.values()];
    expect(configurations.map((c) => c.tags.datasheet_name)).toEqual([FICHE, FICHE]);
    expect(record.tags.datasheet_name).toBe(FICHE);
    const annexes = [...emu.catalogue.annexes.values()];
    expect(annexes.map((a) => a.labels.sort())).toEqual([[`datasheet_name=${FICHE}`, 'type=thumbnail']]);
    // Published on the METADATA endpoint, and the CSW serves it.
    expect(record.endpoints.map((e) => e.name)).toEqual(['gpf-geonetwork']);
    const xml = record.file.toString('utf8');
    execFileSync('xmllint', ['--noout', '-'], { input: xml });
    const csw = await (await fetch(`${emu.url}/csw?REQUEST=GetRecordById&SERVICE=CSW&VERSION=2.0.2&ID=VILLEX.${LAYER}`)).text();
    expect(xpath(csw, `string(//${el('fileIdentifier')}/${el('CharacterString')})`)).toBe(`VILLEX.${LAYER}`);
    // The extent of the rasters (GDAL's outlines), to 1e-5 degree.
    const box = `//${el('EX_GeographicBoundingBox')}`;
    const bounds = ['westBoundLongitude', 'southBoundLatitude', 'eastBoundLongitude', 'northBoundLatitude'].map((b) =>
      Number(xpath(xml, `string(${box}/${el(b)}/${el('Decimal')})`)),
    );
    const expected = await samplesExtent();
    bounds.forEach((value, i) => expect(value).toBeCloseTo(expected[i], 5));
    // One OGC:WMTS and one OGC:WMS online resource, each with the layer's name and its endpoint's URL.
    const online = `//${el('onLine')}/${el('CI_OnlineResource')}`;
    expect(xpath(xml, `count(${online})`)).toBe('2');
    for (const [protocol, url] of [
      ['OGC:WMTS', `${emu.url}/geopf/wmts`],
      ['OGC:WMS', `${emu.url}/geopf/wms-r/wms`],
    ]) {
      const resource = `${online}[${el('protocol')}/${el('CharacterString')}='${protocol}']`;
      expect(xpath(xml, `string(${resource}/${el('name')}/${el('CharacterString')})`)).toBe(LAYER);
      expect(xpath(xml, `string(${resource}/${el('linkage')}/${el('URL')})`)).toBe(url);
    }
    // The elements of the portal's record (entrepot-api-catalogue.md §3.1), each as the description says.
    const root = `/${el('MD_Metadata')}`;
    const di = `${root}/${el('identificationInfo')}/${el('MD_DataIdentification')}`;
    const mail = `${el('contactInfo')}/${el('CI_Contact')}/${el('address')}/${el('CI_Address')}/${el('electronicMailAddress')}/${el('CharacterString')}`;
    const expectations: Array<[string, string]> = [
      [`string(${root}/@uuid)`, `VILLEX.${LAYER}`],
      [`string(${root}/${el('language')}/${el('LanguageCode')}/@codeListValue)`, 'fre'],
      [`string(${root}/${el('language')}/${el('LanguageCode')})`, 'français'],
      [`string(${root}/${el('characterSet')}/${el('MD_CharacterSetCode')}/@codeListValue)`, 'utf8'],
      [`string(${root}/${el('hierarchyLevel')}/${el('MD_ScopeCode')}/@codeListValue)`, 'dataset'],
      [`string(${di}/${el('citation')}/${el('CI_Citation')}/${el('title')}/${el('CharacterString')})`, 'Orthophotographie 2024'],
      [`string(${di}/${el('citation')}//${el('CI_Date')}/${el('date')}/${el('Date')})`, '2024-06-30'],
      [`string(${di}/${el('citation')}//${el('CI_DateTypeCode')}/@codeListValue)`, 'creation'],
      [
        `normalize-space(${di}/${el('abstract')}/${el('CharacterString')})`,
        'Orthophotographie de 20 cm de la ville, prises de vues de juin 2024.',
      ],
      [
        `string(${di}/${el('pointOfContact')}/${el('CI_ResponsibleParty')}/${el('organisationName')}/${el('CharacterString')})`,
        'Ville de X',
      ],
      [`string(${di}/${el('pointOfContact')}/${el('CI_ResponsibleParty')}/${mail})`, 'sig@ville-x.fr'],
      [`string(${di}//${el('MD_Keywords')}[${el('thesaurusName')}]/${el('keyword')}/${el('CharacterString')})`, 'Orthoimagerie'],
      [`string(${di}//${el('thesaurusName')}//${el('title')}/${el('CharacterString')})`, 'GEMET - INSPIRE themes, version 1.0'],
      [`count(${di}//${el('MD_Keywords')}[not(${el('thesaurusName')})]/${el('keyword')})`, '2'],
      [`string(${di}/${el('topicCategory')}/${el('MD_TopicCategoryCode')})`, 'imageryBaseMapsEarthCover'],
      [`string(${di}//${el('MD_MaintenanceFrequencyCode')}/@codeListValue)`, 'annually'],
      [`string(${di}//${el('MD_SpatialRepresentationTypeCode')}/@codeListValue)`, 'grid'],
      [`string(${root}/${el('contact')}/${el('CI_ResponsibleParty')}/${mail})`, 'sig@ville-x.fr'],
      [
        `string(${root}//${el('LI_Lineage')}/${el('statement')}/${el('CharacterString')})`,
        'Prises de vues aériennes de juin 2024, orthorectifiées.',
      ],
    ];
    for (const [expression, value] of expectations) expect(xpath(xml, expression), expression).toBe(value);
    expect(xpath(xml, `string(${root}/${el('dateStamp')}/${el('DateTime')})`)).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/);
    expect(Number(xpath(xml, `string(${di}//${el('denominator')}/${el('Integer')})`))).toBeGreaterThan(0);
    const thumbnail = xpath(xml, `string(//${el('graphicOverview')}//${el('fileName')}/${el('CharacterString')})`);
    expect(thumbnail).toBe(`${emu.url}/annexes/${emu.catalogue.technicalName}${annexes[0].paths[0]}`);
    expect((await fetch(thumbnail)).headers.get('content-type')).toBe('image/png');
    // Every configuration links the record (CSW and catalogue page) and carries its keywords and theme.
    for (const c of configurations) {
      expect(c.metadata?.map((m) => m.url)).toEqual([
        expect.stringMatching(new RegExp(`^${emu.url}/csw\\?REQUEST=GetRecordById&.*&ID=VILLEX\\.${LAYER}$`)),
        `https://cartes.gouv.fr/catalogue/dataset/VILLEX.${LAYER}`,
      ]);
      expect(c.type_infos.keywords).toEqual(['imageryBaseMapsEarthCover', 'Orthoimagerie', 'orthophoto', '2024']);
      expect(c.tags.theme).toBe('imageryBaseMapsEarthCover');
    }
    expect(emu.layers.liveStoredData()[0].tags).toMatchObject({ producer: 'Ville de X', production_year: '2024' });
  });

  it('a second run with nothing changed writes nothing', async () => {
    const { emu, dir } = await published();
    const since = emu.requests.length;
    const again = await publish(emu, dir);
    expect(again.exitCode, again.stdout).toBe(0);
    expect(writesSince(emu, since)).toEqual([]);
    expect(again.stdout).toContain(`Metadata record ${LAYER}: unchanged, published`);
  });

  it('a new title in the YAML on an unchanged layer: one PUT of the record and nothing else', async () => {
    const { emu, dir } = await published();
    await edit(
      dir,
      'catalogue/ortho.yml',
      DESCRIPTION.replace('title: Orthophotographie 2024', 'title: Orthophotographie de la ville, 2024'),
    );
    const since = emu.requests.length;
    const run = await publish(emu, dir);
    expect(run.exitCode, run.stdout).toBe(0);
    expect(writesSince(emu, since)).toEqual(['replaceMetadata']);
    expect(run.outputs.update).toBe('unchanged');
    const [record] = [...emu.catalogue.metadata.values()];
    expect(xpath(record.file.toString('utf8'), `string(//${el('citation')}//${el('title')}/${el('CharacterString')})`)).toBe(
      'Orthophotographie de la ville, 2024',
    );
    expect(run.stdout).toContain('title: Orthophotographie 2024 → Orthophotographie de la ville, 2024');
  });

  it('a YAML without its abstract fails before any data POST, in one line naming the field', async () => {
    const emu = await emulator();
    const dir = await repository(DESCRIPTION.replace(/abstract: \|\n.*\n/, ''));
    const run = await publish(emu, dir);
    expect(run.exitCode).toBe(1);
    expect(run.errors).toEqual([
      "::error::Input 'metadata': catalogue/ortho.yml: field 'abstract' is missing; add abstract: <a few sentences on what the data is>",
    ]);
    expect(emu.requests.filter((r) => r.method !== 'GET' && r.route !== 'token')).toEqual([]);
  });

  it("an XML record whose identifier lacks the datastore's prefix fails before any data POST", async () => {
    const emu = await emulator({ catalogue: { metadataPrefix: 'VILLEX' } });
    const record = (await readFile(path.join(FIXTURES, 'metadata-record.xml'), 'utf8')).replaceAll('FILE_ID', 'ortho-2024');
    const dir = await initRepository(await workspace({ 'catalogue/ortho.xml': record }));
    const run = await publish(emu, dir, { metadata: 'catalogue/ortho.xml' });
    expect(run.exitCode).toBe(1);
    expect(run.errors).toEqual([
      "::error::Input 'metadata': catalogue/ortho.xml's gmd:fileIdentifier 'ortho-2024' must start with this datastore's prefix: write VILLEX.ortho-2024",
    ]);
    expect(emu.requests.filter((r) => r.method !== 'GET' && r.route !== 'token')).toEqual([]);
  });

  it("a user's own XML is sent as it is, tagged, published, and not sent again while it is the same", async () => {
    const emu = await emulator();
    const record = (await readFile(path.join(FIXTURES, 'metadata-record.xml'), 'utf8')).replaceAll('FILE_ID', 'ortho-2024');
    const dir = await initRepository(await workspace({ 'catalogue/ortho.xml': record }));
    const first = await publish(emu, dir, { metadata: 'catalogue/ortho.xml' });
    expect(first.exitCode, first.stdout).toBe(0);
    const [held] = [...emu.catalogue.metadata.values()];
    expect(held.file.toString('utf8')).toBe(record);
    expect(held.tags.datasheet_name).toBe(FICHE);
    expect(held.endpoints).toHaveLength(1);
    // No thumbnail for a record the action does not write: its graphicOverview is the user's.
    expect(emu.catalogue.annexes.size).toBe(0);
    const since = emu.requests.length;
    expect((await publish(emu, dir, { metadata: 'catalogue/ortho.xml' })).exitCode).toBe(0);
    expect(writesSince(emu, since)).toEqual([]);
  });
});

describe('the record and cartes.gouv.fr', () => {
  it('survives a portal edit whole in every field the action writes; the next run puts back what the portal changed', async () => {
    const { emu, dir } = await published({}, { public: 'false', thumbnail: 'none' });
    const [record] = [...emu.catalogue.metadata.values()];
    const ours = record.file.toString('utf8');
    const edited = portalEdit(ours);
    execFileSync('xmllint', ['--noout', '-'], { input: edited });
    // Every field the action owns, restricted-access services included, reads the same after the portal's rewrite.
    expect(readFields(edited)).toEqual(readFields(ours));
    expect(readFields(ours).services).toEqual([
      `OGC:WMTS ${LAYER} ${emu.url}/geopf/private/wmts (restricted)`,
      `OGC:WMS ${LAYER} ${emu.url}/geopf/private/wms-r/wms (restricted)`,
    ]);
    // The portal's rewrite differs where it always does (spatialRepresentationType vector): the merged commit wins.
    record.file = Buffer.from(edited);
    const since = emu.requests.length;
    const run = await publish(emu, dir, { public: 'false', thumbnail: 'none' });
    expect(run.exitCode, run.stdout).toBe(0);
    expect(writesSince(emu, since)).toEqual(['replaceMetadata']);
    expect(contentOf(record.file.toString('utf8'))).toBe(contentOf(ours));
  });
});

describe('a hostile description', () => {
  it('a metadata path that leads outside the workspace is refused before any request', async () => {
    const emu = await emulator();
    const dir = await repository();
    const outside = await workspace({ 'secrets.yml': 'token: do-not-read' }, false);
    await symlink(path.join(outside, 'secrets.yml'), path.join(dir, 'catalogue', 'link.yml'));
    const run = await publish(emu, dir, { metadata: 'catalogue/link.yml' });
    expect(run.exitCode).toBe(1);
    expect(run.errors).toEqual([
      `::error::Input 'metadata': 'catalogue/link.yml' leads outside the workspace (to ${await realpath(path.join(outside, 'secrets.yml'))}); give a file of the repository`,
    ]);
    expect(run.stdout).not.toContain('do-not-read');
    expect(emu.requests).toEqual([]);
  });
});
