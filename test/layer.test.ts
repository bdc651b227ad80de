import { describe, expect, it } from 'vitest';
import type { Emulator } from '../emulator/server.js';
import { runAction } from '../scripts/action-runner.js';
import { previewUrl } from '../src/layer/preview.js';
import { actionInputs, harness } from './support/harness.js';

// From delivery to a served layer (issue 11), with the bundle spawned as the runner does.

const TOKEN = 'layer-token';
const { emulator, workspace } = harness({ staticTokens: [TOKEN], layers: { pyramidDurationMs: 60, publishDelayMs: 30 } });
const inputs = (emu: Emulator, extra: Record<string, string> = {}) =>
  actionInputs(emu, TOKEN, { layer: 'ortho_2024', services: 'wmts,wms', 'layer-title': 'Orthophotos 2024', ...extra });
const count = (emu: Emulator, route: string) => emu.requests.filter((r) => r.route === route).length;

describe('a layer', () => {
  it('first publication: one pyramid, one configuration and offering per service, the upload deleted', async () => {
    const emu = await emulator();
    const dir = await workspace();
    const run = await runAction({ workspace: dir, inputs: inputs(emu) });
    expect(run.exitCode, run.stdout).toBe(0);
    const [sd] = [...emu.layers.storedData.values()];
    expect(emu.layers.liveStoredData().length).toBe(1);
    expect(sd).toMatchObject({ status: 'GENERATED', tags: { layer: 'ortho_2024', github_repository: 'ign-team/rasters' } });
    expect(run.outputs['stored-data-id']).toBe(sd._id);
    const configurations = [...emu.layers.configurations.values()];
    expect(configurations.map((c) => [c.type, c.layer_name, c.type_infos.used_data[0].stored_data]).sort()).toEqual([
      ['WMS-RASTER', 'ortho_2024', sd._id],
      ['WMTS-TMS', 'ortho_2024', sd._id],
    ]);
    expect([...emu.layers.offerings.values()].map((o) => o.status)).toEqual(['PUBLISHED', 'PUBLISHED']);
    expect(emu.store.uploads.get(run.outputs['upload-id'])?.status).toBe('DELETED');
    const urls = JSON.parse(run.outputs['layer-urls']) as Record<string, string>;
    expect(Object.keys(urls).sort()).toEqual(['TMS', 'WMS', 'WMTS']);
    expect(urls.TMS).toBe(`${emu.url}/geopf/tms/1.0.0/ortho_2024`);
    const offerings = JSON.parse(run.outputs.offerings) as Array<{ id: string; type: string; status: string }>;
    expect(offerings.map((o) => [o.type, o.status]).sort()).toEqual([
      ['WMS-RASTER', 'PUBLISHED'],
      ['WMTS-TMS', 'PUBLISHED'],
    ]);
    expect(run.summary).toContain('<h3>Layer ortho_2024</h3>');
    expect(run.summary).toMatch(
      /<img src="[^"]*wms-r\?service=WMS&#38;version=1\.3\.0&#38;request=GetMap&#38;layers=ortho_2024&#38;bbox=[-\d.]+,[-\d.]+,[-\d.]+,[-\d.]+/,
    );
  });
});

describe('a later merge', () => {
  it('updates in place: the same configuration and offering ids and URLs, a new pyramid, the old one deleted', async () => {
    const emu = await emulator();
    const dir = await workspace();
    const first = await runAction({ workspace: dir, inputs: inputs(emu) });
    expect(first.exitCode, first.stdout).toBe(0);
    const before = { configurations: [...emu.layers.configurations.keys()].sort(), offerings: [...emu.layers.offerings.keys()].sort() };
    const oldPyramid = first.outputs['stored-data-id'];
    const second = await runAction({ workspace: dir, inputs: inputs(emu) });
    expect(second.exitCode, second.stdout).toBe(0);
    expect(second.outputs['stored-data-id']).not.toBe(oldPyramid);
    expect([...emu.layers.configurations.keys()].sort()).toEqual(before.configurations);
    expect([...emu.layers.offerings.keys()].sort()).toEqual(before.offerings);
    expect(second.outputs['layer-urls']).toBe(first.outputs['layer-urls']);
    for (const c of emu.layers.configurations.values())
      expect(c.type_infos.used_data[0].stored_data).toBe(second.outputs['stored-data-id']);
    expect(emu.layers.liveStoredData().some((sd) => sd._id === oldPyramid)).toBe(false);
    expect(count(emu, 'replaceConfiguration')).toBe(2);
    expect(count(emu, 'syncOffering')).toBe(2);
    expect(count(emu, 'createConfiguration')).toBe(2);
    expect(count(emu, 'createOffering')).toBe(2);
    expect(second.summary).toMatch(/<tr><th>Action<\/th><td>updated<\/td><\/tr>/);
  });

  it('a pyramid that fails leaves the live layer exactly as it was, with its error lines', async () => {
    const emu = await emulator();
    const dir = await workspace();
    const first = await runAction({ workspace: dir, inputs: inputs(emu) });
    expect(first.exitCode, first.stdout).toBe(0);
    const live = JSON.stringify([...emu.layers.configurations.values()]);
    emu.layers.options.pyramidFailure = true;
    const second = await runAction({ workspace: dir, inputs: inputs(emu) });
    expect(second.exitCode).toBe(1);
    expect(JSON.stringify([...emu.layers.configurations.values()])).toBe(live);
    expect([...emu.layers.offerings.values()].every((o) => o.status === 'PUBLISHED')).toBe(true);
    expect(emu.layers.liveStoredData().some((sd) => sd._id === first.outputs['stored-data-id'])).toBe(true);
    expect(second.errors[0]).toMatch(/^::error title=Pyramid failed%3A execution .*::Impossible de lire la dalle/);
    expect(second.errors.at(-1)).toMatch(
      /The pyramid was not built \(execution .* FAILURE\): Impossible de lire la dalle .*; the live layer was left as it was/,
    );
    expect(second.summary).toMatch(
      /<li>Impossible de lire la dalle \/mnt\/upload\/data\/ortho\/ortho_650000_6860000\.tif : compression JPEG non supportée<\/li>/,
    );
    // The upload is kept, for a look or a re-run.
    expect(emu.store.uploads.get(second.outputs['upload-id'])?.status).toBe('CLOSED');
  });
});

// The lists the real API gives (docs/api.md, "List items"): no endpoint on an offering item, no
// status or tags on a stored data item, no used data on a configuration item; and a server that
// ignores `fields`. Every update decision must read the detail.
describe.each(['base', 'ignore-fields'] as const)('updates on %s lists', (listFields) => {
  const onLists = (extra: Parameters<typeof emulator>[0] = {}) => emulator({ listFields, ...extra });

  it('a later merge re-synchronises the live offerings through lost answers: no second offering', async () => {
    const emu = await onLists();
    const dir = await workspace();
    const first = await runAction({ workspace: dir, inputs: inputs(emu) });
    expect(first.exitCode, first.stdout).toBe(0);
    const offerings = [...emu.layers.offerings.keys()].sort();
    emu.faults.add(
      { route: 'replaceConfiguration', times: 1, fault: { storeThen: 502 } },
      { route: 'syncOffering', times: 1, fault: { storeThen: 'reset' } },
    );
    const second = await runAction({ workspace: dir, inputs: inputs(emu) });
    expect(second.exitCode, second.stdout).toBe(0);
    expect([...emu.layers.offerings.keys()].sort()).toEqual(offerings);
    expect(count(emu, 'createOffering')).toBe(2);
    expect(count(emu, 'syncOffering')).toBe(2);
    expect(second.outputs['layer-urls']).toBe(first.outputs['layer-urls']);
    for (const c of emu.layers.configurations.values())
      expect(c.type_infos.used_data[0].stored_data).toBe(second.outputs['stored-data-id']);
  });

  it("a lost sync answer is reconciled by the offering's update date, though MODIFYING has come and gone", async () => {
    const emu = await onLists({ layers: { pyramidDurationMs: 60, publishDelayMs: 1, modifyingLagMs: 40 } });
    const dir = await workspace();
    const first = await runAction({ workspace: dir, inputs: inputs(emu, { services: 'wmts' }) });
    expect(first.exitCode, first.stdout).toBe(0);
    const [offering] = [...emu.layers.offerings.values()];
    const before = offering.update;
    // The answer is lost; the reads that follow see the old PUBLISHED until the sync shows.
    emu.faults.add({ route: 'syncOffering', times: 1, fault: { storeThen: 502 } });
    const second = await runAction({ workspace: dir, inputs: inputs(emu, { services: 'wmts' }) });
    expect(second.exitCode, second.stdout).toBe(0);
    expect(count(emu, 'syncOffering')).toBe(1);
    expect(offering.update > before).toBe(true);
    expect(offering.status).toBe('PUBLISHED');
  });

  it('a service added to a live layer: the new one created, the other updated in place', async () => {
    const emu = await onLists();
    const dir = await workspace();
    const first = await runAction({ workspace: dir, inputs: inputs(emu, { services: 'wmts' }) });
    expect(first.exitCode, first.stdout).toBe(0);
    const [wmtsOffering] = [...emu.layers.offerings.keys()];
    const second = await runAction({ workspace: dir, inputs: inputs(emu, { services: 'wmts,wms' }) });
    expect(second.exitCode, second.stdout).toBe(0);
    const byType = Object.fromEntries(
      [...emu.layers.offerings.values()].map((o) => [emu.layers.configurations.get(o.configurationId)?.type, o]),
    );
    expect(Object.keys(byType).sort()).toEqual(['WMS-RASTER', 'WMTS-TMS']);
    expect(byType['WMTS-TMS']._id).toBe(wmtsOffering);
    expect(count(emu, 'createOffering')).toBe(2);
    expect(count(emu, 'syncOffering')).toBe(1);
  });

  it('a re-run after an offering ended UNSTABLE re-synchronises that offering instead of making another', async () => {
    const emu = await onLists({ layers: { pyramidDurationMs: 60, publishDelayMs: 30, offeringFailure: true } });
    const dir = await workspace();
    const first = await runAction({ workspace: dir, inputs: inputs(emu, { services: 'wmts' }) });
    expect(first.exitCode).toBe(1);
    expect(first.errors.at(-1)).toMatch(/Offering .* is UNSTABLE/);
    emu.layers.options.offeringFailure = false;
    const second = await runAction({ workspace: dir, inputs: inputs(emu, { services: 'wmts' }) });
    expect(second.exitCode, second.stdout).toBe(0);
    expect(emu.layers.offerings.size).toBe(1);
    expect([...emu.layers.offerings.values()][0].status).toBe('PUBLISHED');
    expect(count(emu, 'createOffering')).toBe(1);
    expect(count(emu, 'syncOffering')).toBe(1);
    expect(count(emu, 'createExecution')).toBe(1);
  });
});

describe('exactly once, and resumed', () => {
  it('a re-run after a failure midway neither sends the files again nor builds a second pyramid', async () => {
    const emu = await emulator();
    const dir = await workspace();
    emu.faults.add({ route: 'createConfiguration', fault: { status: 500 } });
    const first = await runAction({ workspace: dir, inputs: inputs(emu, { retries: '1' }) });
    expect(first.exitCode).toBe(1);
    expect(emu.layers.liveStoredData().length).toBe(1);
    emu.faults.clear();
    const posts = count(emu, 'postData');
    const second = await runAction({ workspace: dir, inputs: inputs(emu) });
    expect(second.exitCode, second.stdout).toBe(0);
    expect(count(emu, 'postData')).toBe(posts);
    expect(count(emu, 'createExecution')).toBe(1);
    expect(emu.layers.liveStoredData().length).toBe(1);
    expect(second.outputs['stored-data-id']).toBe(first.outputs['stored-data-id']);
    expect(second.outputs).toMatchObject({ uploaded: '0', 'upload-id': first.outputs['upload-id'] });
  });

  it('resumes by the tags although the server lists stored data bare and ignores the filters', async () => {
    const emu = await emulator({ layers: { pyramidDurationMs: 60, publishDelayMs: 30, bareLists: true } });
    const dir = await workspace();
    // Another layer's pyramid, listed alongside: it must not be taken for ours.
    const other = await runAction({ workspace: dir, inputs: inputs(emu, { name: 'other', layer: 'other_layer', services: 'wmts' }) });
    expect(other.exitCode, other.stdout).toBe(0);
    emu.faults.add({ route: 'createOffering', fault: { status: 500 } });
    const first = await runAction({ workspace: dir, inputs: inputs(emu, { retries: '1' }) });
    expect(first.exitCode).toBe(1);
    emu.faults.clear();
    const second = await runAction({ workspace: dir, inputs: inputs(emu) });
    expect(second.exitCode, second.stdout).toBe(0);
    expect(count(emu, 'createExecution')).toBe(2); // one per layer
    expect(second.outputs['stored-data-id']).toBe(first.outputs['stored-data-id']);
  });

  it('lost answers on every creation still make exactly one of each', async () => {
    const emu = await emulator();
    const dir = await workspace();
    const lose = (route: string, fault: { storeThen: number | 'reset' }) => ({ route, times: 1, fault });
    emu.faults.add(
      lose('createExecution', { storeThen: 502 }),
      lose('storedDataTags', { storeThen: 'reset' }),
      lose('launch', { storeThen: 504 }),
      lose('createConfiguration', { storeThen: 502 }),
      lose('createOffering', { storeThen: 'reset' }),
    );
    const first = await runAction({ workspace: dir, inputs: inputs(emu) });
    expect(first.exitCode, first.stdout).toBe(0);
    expect(emu.layers.executions.size).toBe(1);
    expect(emu.layers.liveStoredData().length).toBe(1);
    expect(emu.layers.configurations.size).toBe(2);
    expect(emu.layers.offerings.size).toBe(2);
    for (const route of ['createExecution', 'storedDataTags', 'launch']) expect(count(emu, route), route).toBe(1);
    expect(count(emu, 'createConfiguration')).toBe(2);
    expect(count(emu, 'createOffering')).toBe(2);

    emu.faults.add(
      lose('replaceConfiguration', { storeThen: 502 }),
      lose('syncOffering', { storeThen: 'reset' }),
      lose('deleteStoredData', { storeThen: 502 }),
    );
    const second = await runAction({ workspace: dir, inputs: inputs(emu) });
    expect(second.exitCode, second.stdout).toBe(0);
    expect(count(emu, 'replaceConfiguration')).toBe(2);
    expect(count(emu, 'syncOffering')).toBe(2);
    expect(count(emu, 'deleteStoredData')).toBe(1);
    expect(emu.layers.liveStoredData().length).toBe(1);
  });

  it('waits when the execution is SUCCESS before its stored data is GENERATED', async () => {
    const emu = await emulator({ layers: { pyramidDurationMs: 40, storedDataLagMs: 300, publishDelayMs: 10 } });
    const dir = await workspace();
    const run = await runAction({ workspace: dir, inputs: inputs(emu, { services: 'wmts' }) });
    expect(run.exitCode, run.stdout).toBe(0);
    expect(run.stdout).toMatch(/execution SUCCESS, stored data GENERATING/);
    expect([...emu.layers.configurations.values()].map((c) => c.type)).toEqual(['WMTS-TMS']);
  });
});

describe('a dry run and bad inputs', () => {
  it('a dry run says whether the layer would be created or updated, with its parameters, and changes nothing', async () => {
    const emu = await emulator();
    const dir = await workspace();
    const run = await runAction({ workspace: dir, inputs: inputs(emu, { 'dry-run': 'true', tms: 'LAMB93_10cm', compression: 'png' }) });
    expect(run.exitCode, run.stdout).toBe(0);
    expect(run.stdout).toContain(
      'Layer ortho_2024 would be created (WMTS-TMS, WMS-RASTER) with a pyramid built with tms=LAMB93_10cm, compression=png, interpolation=bicubic',
    );
    expect(run.summary).toMatch(/<tr><th>Action<\/th><td>would create<\/td><\/tr>/);
    expect(emu.requests.filter((r) => r.method !== 'GET')).toEqual([]);
  });

  it.each([
    [{ layer: '9-bad name' }, /^::error::Input 'layer': '9-bad name' is not a layer name/],
    [{ services: 'wmts,tiles' }, /^::error::Input 'services': 'wmts,tiles' is not wmts, wms or wmts,wms/],
    [{ compression: 'gif' }, /^::error::Input 'compression': 'gif' is not one of jpg, jpg90, png, zip/],
    [{ interpolation: 'cubic' }, /^::error::Input 'interpolation': 'cubic' is not one of bicubic, linear, nn/],
    [{ 'bottom-level': 'deep' }, /^::error::Input 'bottom-level': 'deep' is not a level/],
    [{ 'processing-timeout': '0' }, /^::error::Input 'processing-timeout': '0' is not a positive number/],
    [{ public: 'maybe' }, /^::error::Input 'public': 'maybe' is not a boolean/],
    [{ close: 'false' }, /^::error::Input 'layer': needs the upload closed/],
  ])('%j is refused before any request', async (override, message) => {
    const emu = await emulator();
    const dir = await workspace();
    const run = await runAction({ workspace: dir, inputs: inputs(emu, override) });
    expect(run.exitCode).toBe(1);
    expect(run.errors).toHaveLength(1);
    expect(run.errors[0]).toMatch(message);
    expect(emu.requests).toEqual([]);
  });

  it('a tile matrix set the processing does not allow is refused before anything is sent', async () => {
    const emu = await emulator();
    const dir = await workspace();
    const run = await runAction({ workspace: dir, inputs: inputs(emu, { tms: 'LAMB93_5cm' }) });
    expect(run.exitCode).toBe(1);
    expect(run.errors).toEqual([
      "::error::Input 'tms': 'LAMB93_5cm' is not one the processing allows (PM, 4326, LAMB93_10cm, LAMB93_50cm); for example tms: PM",
    ]);
    expect(emu.requests.filter((r) => r.method !== 'GET')).toEqual([]);
  });
});

describe('previewUrl', () => {
  const storedData = {
    id: 'sd',
    name: 'n',
    status: 'GENERATED' as const,
    tags: {},
    levels: [],
    hasTypeInfos: true,
    bbox: [2.33, 48.84, 2.36, 48.86] as [number, number, number, number],
  };
  const report = (urls: Record<string, string>) => ({
    layer: 'l',
    action: 'created' as const,
    parameters: {},
    services: [],
    deletedPyramids: [],
    uploadDeleted: true,
    urls,
  });

  it('a TMS layer: the deepest tile that holds the whole extent', () => {
    const url = previewUrl(report({ TMS: 'https://data.geopf.fr/tms/1.0.0/l' }), storedData, 'jpg')!;
    const [, z, x, tmsY] = /\/(\d+)\/(\d+)\/(\d+)\.jpeg$/.exec(url)!.map(Number);
    const n = 2 ** z;
    const y = n - 1 - tmsY; // TMS counts rows from the bottom
    const lon = (t: number) => (t / n) * 360 - 180;
    const lat = (t: number) => (Math.atan(Math.sinh(Math.PI * (1 - (2 * t) / n))) * 180) / Math.PI;
    // The tile's bounds hold the extent, and its four children do not each hold it.
    expect(lon(x)).toBeLessThanOrEqual(2.33);
    expect(lon(x + 1)).toBeGreaterThanOrEqual(2.36);
    expect(lat(y + 1)).toBeLessThanOrEqual(48.84);
    expect(lat(y)).toBeGreaterThanOrEqual(48.86);
    expect(z).toBeGreaterThan(5);
  });

  it('a WMS layer: a GetMap of the extent in Web Mercator', () => {
    const url = previewUrl(
      report({
        WMS: 'https://x/wms-r?request=GetMap&layers=l&bbox={xmin},{ymin},{xmax},{ymax}&styles={styles}&width={width}&height={height}&srs={srs}&format={format}',
      }),
      storedData,
    )!;
    expect(url).toMatch(/bbox=259374\.41,6247756\.22,262714\.00,6251139\.62&styles=&width=512&height=\d+&srs=EPSG:3857&format=image\/png$/);
  });
});
