import { describe, expect, it } from 'vitest';
import type { Emulator } from '../emulator/server.js';
import { runAction } from '../scripts/action-runner.js';
import { actionInputs, harness } from './support/harness.js';

// The emulator's list routes answer as the API does (docs/api.md, "List items"): each list DTO's
// base fields, or with `fields=` the fields named plus `_id`; details stay whole. The table is
// written here again, from IGN's change note on `fields` and the generated list DTOs, so that the
// emulator cannot drift back to whole objects without this test failing.
const BASE_FIELDS = {
  uploads: ['_id', 'description', 'name', 'srs', 'status', 'type', 'visibility'],
  storedData: ['_id', 'name', 'srs', 'type', 'visibility'],
  processings: ['_id', 'description', 'name'],
  executions: ['_id', 'processing', 'status'],
  checkExecutions: ['_id', 'check', 'status'],
  configurations: ['_id', 'layer_name', 'name', 'status', 'type'],
  offerings: ['_id', 'available', 'layer_name', 'open', 'status', 'type', 'visibility'],
};

const TOKEN = 'lists-token';
const { emulator, workspace } = harness({ staticTokens: [TOKEN], layers: { pyramidDurationMs: 40, publishDelayMs: 20 } });

/** A served layer whose upload is kept: every list route has something to list. */
async function publishedLayer(emu: Emulator): Promise<void> {
  const dir = await workspace();
  const inputs = actionInputs(emu, TOKEN, { layer: 'lists_layer', services: 'wmts', 'keep-upload': 'true' });
  const run = await runAction({ workspace: dir, inputs });
  expect(run.exitCode, run.stdout).toBe(0);
}

async function get(emu: Emulator, route: string, query = ''): Promise<unknown> {
  const res = await fetch(`${emu.apiUrl}/datastores/${emu.datastore}${route}${query}`, { headers: { authorization: `Bearer ${TOKEN}` } });
  expect(res.ok, `${route}: HTTP ${res.status}`).toBe(true);
  return res.json();
}

const keysOf = (items: unknown) => {
  expect(Array.isArray(items) && items.length > 0).toBe(true);
  return [...new Set((items as Array<Record<string, unknown>>).flatMap((item) => Object.keys(item)))].sort();
};

/** Every list route, with what it lists (the ids come from the emulator's state). */
function listRoutes(emu: Emulator): Array<[keyof typeof BASE_FIELDS, string, (body: unknown) => unknown]> {
  const upload = [...emu.store.uploads.keys()][0];
  const configuration = [...emu.layers.configurations.keys()][0];
  const checkItems = (body: unknown) => Object.values(body as Record<string, unknown[]>).flat();
  return [
    ['uploads', '/uploads', (b) => b],
    ['storedData', '/stored_data', (b) => b],
    ['processings', '/processings', (b) => b],
    ['executions', '/processings/executions', (b) => b],
    ['checkExecutions', `/uploads/${upload}/checks`, checkItems],
    ['configurations', '/configurations', (b) => b],
    ['offerings', `/configurations/${configuration}/offerings`, (b) => b],
  ];
}

describe('list routes answer their base fields', () => {
  it('by default, each list gives exactly its DTO fields; details are whole', async () => {
    const emu = await emulator();
    await publishedLayer(emu);
    for (const [kind, route, items] of listRoutes(emu)) expect(keysOf(items(await get(emu, route))), route).toEqual(BASE_FIELDS[kind]);
    // The fields the decisions need are in the details only.
    const [offering] = (await get(emu, listRoutes(emu)[6][1])) as Array<{ _id: string }>;
    expect(await get(emu, `/offerings/${offering._id}`)).toHaveProperty('endpoint._id');
    const [sd] = (await get(emu, '/stored_data')) as Array<{ _id: string }>;
    expect(await get(emu, `/stored_data/${sd._id}`)).toMatchObject({ status: 'GENERATED', tags: { layer: 'lists_layer' } });
  });

  it('with fields=, exactly the fields named plus _id, in either spelling', async () => {
    const emu = await emulator();
    await publishedLayer(emu);
    expect(keysOf(await get(emu, '/uploads', '?fields=tags,size'))).toEqual(['_id', 'size', 'tags']);
    expect(keysOf(await get(emu, '/stored_data', '?fields=status&fields=tags'))).toEqual(['_id', 'status', 'tags']);
    const configuration = [...emu.layers.configurations.keys()][0];
    expect(keysOf(await get(emu, `/configurations/${configuration}/offerings`, '?fields=endpoint'))).toEqual(['_id', 'endpoint']);
  });

  it('a server that ignores fields= answers the base fields whatever is asked', async () => {
    const emu = await emulator({ listFields: 'ignore-fields' });
    await publishedLayer(emu);
    expect(keysOf(await get(emu, '/uploads', '?fields=tags,size'))).toEqual(BASE_FIELDS.uploads);
    expect(keysOf(await get(emu, '/stored_data', '?fields=status,tags'))).toEqual(BASE_FIELDS.storedData);
  });
});
