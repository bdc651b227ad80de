import { describe, expect, it } from 'vitest';
import type { Emulator } from '../emulator/server.js';
import { harness } from './support/harness.js';

// The emulator's catalogue routes answer as docs/catalogue.md says the API does, in every variant
// the sources list (flags as query or form fields, labels repeated or comma-joined).

const TOKEN = 'emulator-catalogue';
const { emulator } = harness({ staticTokens: [TOKEN] });

const record = (id: string, level = 'dataset') =>
  `<?xml version="1.0"?><gmd:MD_Metadata xmlns:gmd="http://www.isotc211.org/2005/gmd" xmlns:gco="http://www.isotc211.org/2005/gco"><gmd:fileIdentifier><gco:CharacterString>${id}</gco:CharacterString></gmd:fileIdentifier><gmd:hierarchyLevel><gmd:MD_ScopeCode codeListValue="${level}"/></gmd:hierarchyLevel></gmd:MD_Metadata>`;

function form(file: string | Buffer, fields: Array<[string, string]> = []): FormData {
  const data = new FormData();
  for (const [k, v] of fields) data.append(k, v);
  data.append('file', new Blob([file]), 'file');
  return data;
}

async function call(emu: Emulator, method: string, route: string, body?: FormData | object): Promise<{ status: number; json: unknown }> {
  const res = await fetch(`${emu.apiUrl}/datastores/${emu.datastore}${route}`, {
    method,
    headers: { authorization: `Bearer ${TOKEN}`, ...(body && !(body instanceof FormData) ? { 'content-type': 'application/json' } : {}) },
    body: body instanceof FormData ? body : body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  return { status: res.status, json: text ? (JSON.parse(text) as unknown) : undefined };
}

describe('the emulator’s metadata routes', () => {
  it('flags from the query or the form; 422 on malformed XML; the prefix; a platform-wide unique identifier', async () => {
    const emu = await emulator({ catalogue: { metadataPrefix: 'PFX', takenIdentifiers: ['PFX.elsewhere'] } });
    const byQuery = await call(emu, 'POST', '/metadata?type=INSPIRE&open_data=True', form(record('PFX.a', 'series')));
    expect(byQuery).toMatchObject({ status: 201, json: { type: 'INSPIRE', open_data: true, level: 'SERIES', endpoints: [] } });
    const byForm = await call(emu, 'POST', '/metadata', form(record('PFX.b'), [['open_data', '1']]));
    expect(byForm).toMatchObject({ status: 201, json: { type: 'ISOAP', open_data: true, level: 'DATASET' } });
    expect((await call(emu, 'POST', '/metadata', form('<not xml'))).status).toBe(422);
    expect((await call(emu, 'POST', '/metadata', form(record('nopfx')))).status).toBe(400);
    expect((await call(emu, 'POST', '/metadata', form(record('PFX.a')))).status).toBe(409);
    expect((await call(emu, 'POST', '/metadata', form(record('PFX.elsewhere')))).status).toBe(409);
  });

  it('tags filter the list; a published record cannot be deleted; the CSW serves it', async () => {
    const emu = await emulator();
    const { json } = await call(emu, 'POST', '/metadata', form(record('x')));
    const id = (json as { _id: string })._id;
    await call(emu, 'POST', `/metadata/${id}/tags`, { datasheet_name: 'Fiche é' });
    const listed = await call(emu, 'GET', `/metadata?${new URLSearchParams({ 'tags[datasheet_name]': 'Fiche é' }).toString()}`);
    expect((listed.json as unknown[]).length).toBe(1);
    expect(((await call(emu, 'GET', '/metadata?tags[datasheet_name]=Fiche')).json as unknown[]).length).toBe(0);
    expect((await call(emu, 'POST', '/metadata/publication', { file_identifiers: ['x'], endpoint: 'elsewhere' })).status).toBe(400);
    expect(
      (await call(emu, 'POST', '/metadata/publication', { file_identifiers: ['x'], endpoint: '9a1b2c3d-0000-4000-8000-emulmetadata' }))
        .status,
    ).toBe(204);
    expect((await call(emu, 'DELETE', `/metadata/${id}`)).status).toBe(409);
    expect(await (await fetch(`${emu.url}/csw?REQUEST=GetRecordById&ID=x`)).text()).toContain(
      '<gco:CharacterString>x</gco:CharacterString>',
    );
    await call(emu, 'DELETE', `/metadata/${id}/tags?tags=datasheet_name`);
    expect(((await call(emu, 'GET', `/metadata/${id}`)).json as { tags: object }).tags).toEqual({});
  });
});

describe('the emulator’s annexes', () => {
  it('labels repeated or comma-joined; a leading slash; 409 on a used path; public only while published; publication by labels', async () => {
    const emu = await emulator();
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3]);
    const made = await call(
      emu,
      'POST',
      '/annexes',
      form(png, [
        ['paths', 'thumbnail/a.png'],
        ['labels', 'type=thumbnail,datasheet_name=F'],
      ]),
    );
    expect(made).toMatchObject({ status: 201, json: { paths: ['/thumbnail/a.png'], mime_type: 'image/png', published: false } });
    expect((made.json as { labels: string[] }).labels.sort()).toEqual(['datasheet_name=F', 'type=thumbnail']);
    expect((await call(emu, 'POST', '/annexes', form(png, [['paths', '/thumbnail/a.png']]))).status).toBe(409);
    const url = `${emu.url}/annexes/${emu.catalogue.technicalName}/thumbnail/a.png`;
    expect((await fetch(url)).status).toBe(404);
    expect((await call(emu, 'POST', '/annexes/publication?labels=type=thumbnail&labels=datasheet_name=F')).json).toBe(1);
    const served = await fetch(url);
    expect(served.status).toBe(200);
    expect(served.headers.get('etag')).toMatch(/^"[0-9a-f]{32}"$/);
    expect(((await call(emu, 'GET', '/annexes?labels=type=thumbnail&labels=datasheet_name=G')).json as unknown[]).length).toBe(0);
  });
});
