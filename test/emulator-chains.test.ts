import { describe, expect, it } from 'vitest';
import type { Emulator } from '../emulator/server.js';
import { runAction } from '../scripts/action-runner.js';
import { actionInputs, harness } from './support/harness.js';

// The emulator's chained pyramids, as IGN's guide "mise à jour au fur et à mesure" describes them
// (docs/api.md, "Layers"): a new pyramid built from a new upload that references the live one,
// with `parameters: {}` inheriting its TMS and compression; the referenced pyramid cannot be
// deleted while the new one lives, and `GET …/stored_data/{id}/dependencies` says who uses whom.

// Answers of several shapes, read field by field below.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

const TOKEN = 'chain-token';
const { emulator, workspace } = harness({ staticTokens: [TOKEN], layers: { pyramidDurationMs: 40, publishDelayMs: 20 } });

async function call(emu: Emulator, method: string, route: string, body?: unknown): Promise<{ status: number; json: Json }> {
  const res = await fetch(`${emu.apiUrl}/datastores/${emu.datastore}${route}`, {
    method,
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : undefined };
}

/** A live layer (its pyramid kept), and a second CLOSED upload to chain on it. */
async function liveLayerAndUpload(emu: Emulator): Promise<{ live: string; upload: string }> {
  const dir = await workspace();
  const run = await runAction({
    workspace: dir,
    inputs: actionInputs(emu, TOKEN, { layer: 'chained', services: 'wmts', tms: 'LAMB93_10cm' }),
  });
  expect(run.exitCode, run.stdout).toBe(0);
  const upload = emu.store.createUpload({ name: 'update', description: 'x', type: 'RASTER', srs: 'EPSG:2154' });
  upload.status = 'CLOSED';
  return { live: run.outputs['stored-data-id'], upload: upload._id };
}

async function built(emu: Emulator, execution: string): Promise<Json> {
  expect((await call(emu, 'POST', `/processings/executions/${execution}/launch`)).status).toBe(200);
  for (let i = 0; i < 100; i++) {
    const { json } = await call(emu, 'GET', `/processings/executions/${execution}`);
    if (json.status === 'SUCCESS') return (await call(emu, 'GET', `/stored_data/${json.output.stored_data._id}`)).json;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error('the chained pyramid was not built');
}

describe('chained pyramids in the emulator', () => {
  it('parameters {} inherit the referenced pyramid’s; it cannot be deleted while referenced', async () => {
    const emu = await emulator();
    const { live, upload } = await liveLayerAndUpload(emu);
    const processing = (await call(emu, 'GET', '/processings')).json.find(
      (p: { name: string }) => p.name === 'Calcul de pyramide raster',
    )._id;
    const created = await call(emu, 'POST', '/processings/executions', {
      processing,
      inputs: { upload: [upload], stored_data: [live] },
      output: { stored_data: { name: 'chained update' } },
      parameters: {},
    });
    expect(created.status).toBe(201);
    expect(created.json.inputs.stored_data.map((s: { _id: string }) => s._id)).toEqual([live]);
    expect(created.json.parameters).toMatchObject({ tms: 'LAMB93_10cm', compression: 'jpg' });
    const next = await built(emu, created.json._id);
    expect(next.type_infos.tms).toBe('LAMB93_10cm');

    expect((await call(emu, 'GET', `/stored_data/${live}/dependencies`)).json).toEqual({
      used_by: [{ _id: next._id, name: 'chained update' }],
      use: [],
    });
    expect((await call(emu, 'GET', `/stored_data/${next._id}/dependencies`)).json.use).toEqual([{ _id: live, name: expect.any(String) }]);
    // The live pyramid is used by the layer's configuration, then referenced by the new pyramid.
    const conf = [...emu.layers.configurations.values()][0];
    conf.type_infos.used_data = [{ ...conf.type_infos.used_data[0], stored_data: next._id }];
    const refused = await call(emu, 'DELETE', `/stored_data/${live}`);
    expect(refused.status).toBe(409);
    expect(refused.json.error_description[0]).toMatch(/est référencée par/);
  });

  it('an initial generation still needs tms and compression; a reference must be a GENERATED pyramid', async () => {
    const emu = await emulator();
    const { upload } = await liveLayerAndUpload(emu);
    const processing = (await call(emu, 'GET', '/processings')).json[0]._id;
    const base = { processing, output: { stored_data: { name: 'n' } }, parameters: {} };
    const initial = await call(emu, 'POST', '/processings/executions', { ...base, inputs: { upload: [upload] } });
    expect(initial.status).toBe(400);
    expect(initial.json.error_description).toContain('Le paramètre tms est obligatoire pour une génération initiale');
    const unknown = await call(emu, 'POST', '/processings/executions', { ...base, inputs: { upload: [upload], stored_data: ['nope'] } });
    expect(unknown.status).toBe(400);
    expect(unknown.json.error_description).toEqual(["La donnée stockée nope n'existe pas"]);
  });
});
