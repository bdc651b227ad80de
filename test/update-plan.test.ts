import { describe, expect, it } from 'vitest';
import type { Configuration, Offering, StoredData } from '../src/entrepot/types.js';
import type { LiveLayer, LivePyramid } from '../src/layer/live.js';
import { planUpdate, type DesiredLayer, type UpdateInput } from '../src/layer/update.js';
import { InputError } from '../src/shared/errors.js';
import type { Changes, ChangeReading } from '../src/workspace/changes.js';
import type { LocalFile } from '../src/workspace/files.js';

// The reconcile's plan, a pure function of the live layer, what the run asks, and what git says:
// a table of cases, each named by what it holds.

const OLD = 'a'.repeat(40);
const NEW = 'b'.repeat(40);
const file = (p: string): LocalFile => ({ localPath: `/w/${p}`, relativePath: p, remotePath: `data/${p}`, size: 10, mtimeMs: 0 });
const FILES = ['a.tif', 'b.tif', 'c.tif', 'c.tfw'].map(file);

function pyramid(id: string, extra: Partial<LivePyramid> = {}, sd: Partial<StoredData> = {}): LivePyramid {
  return {
    id,
    commit: OLD,
    depth: 0,
    parameters: { tms: 'PM', compression: 'jpg', interpolation: 'bicubic' },
    storedData: {
      id,
      name: id,
      status: 'GENERATED',
      tags: {},
      levels: ['0', '18'],
      hasTypeInfos: true,
      tms: 'PM',
      compression: 'JPG',
      ...sd,
    },
    ...extra,
  };
}
function service(type: Configuration['type'], uses: string | undefined, offering: Partial<Offering> | null = {}, title = 'T') {
  const configuration: Configuration = {
    id: `conf-${type}`,
    type,
    layerName: 'l',
    name: 'l',
    status: 'PUBLISHED',
    raw: { type_infos: { title, abstract: title } },
    usedData: uses ? [{ stored_data: uses, bottom_level: '18', top_level: '0' }] : [],
    tags: {},
  };
  const offerings: Offering[] = offering === null ? [] : [{ id: `off-${type}`, status: 'PUBLISHED', open: true, urls: [], ...offering }];
  return { configuration, offerings };
}
function live(services: ReturnType<typeof service>[], pyramids: LivePyramid[]): LiveLayer {
  return { services, pyramids: new Map(pyramids.map((p) => [p.id, p])) };
}
function desired(extra: Partial<DesiredLayer> = {}): DesiredLayer {
  return {
    commit: NEW,
    files: FILES,
    parameters: { tms: 'PM', compression: 'jpg', interpolation: 'bicubic' },
    services: ['WMTS-TMS'],
    title: 'T',
    abstract: 'T',
    open: true,
    update: 'auto',
    rebuildEvery: 20,
    configurationTags: {},
    ...extra,
  };
}
function history(changes: Partial<Changes> = {}, ancestry: 'same' | 'forward' | 'backward' | 'unrelated' = 'forward'): ChangeReading {
  return {
    ok: true,
    ancestry,
    changes: { since: OLD, added: [], modified: [], deleted: [], moved: [], opaque: [], uncompared: 0, ...changes },
  };
}
/** A layer served by WMTS from pyramid p1 at commit OLD. */
const served = (p: Partial<LivePyramid> = {}, sd: Partial<StoredData> = {}) => live([service('WMTS-TMS', 'p1')], [pyramid('p1', p, sd)]);
const plan = (input: Partial<UpdateInput> & Pick<UpdateInput, 'live'>) => planUpdate({ desired: desired(), ...input });
const steps = (p: ReturnType<typeof planUpdate>) => p.services.map((s) => `${s.type} ${s.configuration}/${s.offering}`);

describe('the plan of a layer update', () => {
  it('a new layer: created from every file, each service made', () => {
    const p = plan({ live: live([], []) });
    expect(p.kind).toBe('created');
    expect(p.files).toHaveLength(4);
    expect(steps(p)).toEqual(['WMTS-TMS create/create']);
  });

  it('nothing changed since the live commit: unchanged, nothing touched', () => {
    const p = plan({ live: served(), history: history() });
    expect(p).toMatchObject({ kind: 'unchanged', files: [] });
    expect(steps(p)).toEqual(['WMTS-TMS keep/keep']);
  });

  it('the same commit again: unchanged', () => {
    expect(plan({ live: served(), history: history({}, 'same') }).kind).toBe('unchanged');
  });

  it('added and modified files only: incremental on the live pyramid, the chain one longer', () => {
    const p = plan({ live: served({ depth: 3 }), history: history({ added: [FILES[0]], modified: [FILES[1]] }) });
    expect(p).toMatchObject({ kind: 'incremental', chain: 4 });
    expect(p.live?.id).toBe('p1');
    expect(p.files.map((f) => f.relativePath)).toEqual(['a.tif', 'b.tif']);
    expect(steps(p)).toEqual(['WMTS-TMS repoint/sync']);
  });

  it('a TIFF changed alone travels with its world file', () => {
    const p = plan({ live: served(), history: history({ modified: [FILES[2]] }) });
    expect(p.files.map((f) => f.relativePath)).toEqual(['c.tfw', 'c.tif']);
  });

  it('a deletion rebuilds in full', () => {
    const p = plan({ live: served(), history: history({ deleted: ['x.tif'] }) });
    expect(p.kind).toBe('full');
    expect(p.why).toMatch(/1 file deleted or renamed away since aaaaaaa \(x\.tif\)/);
  });

  it('moved ground rebuilds in full, saying where', () => {
    const p = plan({
      live: served(),
      history: history({ modified: [FILES[1]], moved: [{ path: 'b.tif', why: 'its georeferencing changed' }] }),
    });
    expect(p.kind).toBe('full');
    expect(p.why).toMatch(/the ground moved: b\.tif \(its georeferencing changed\)/);
  });

  it('a matched path under a submodule or a symlink rebuilds in full', () => {
    expect(plan({ live: served(), history: history({ opaque: ['sub/a.tif'] }) }).kind).toBe('full');
  });

  it('a run for an older commit changes nothing: stale, no service step', () => {
    const p = plan({ live: served(), history: history({}, 'backward'), desired: desired({ services: ['WMTS-TMS', 'WMS-RASTER'] }) });
    expect(p.kind).toBe('stale');
    expect(p.services).toEqual([]);
    expect(p.why).toMatch(/bbbbbbb is older than aaaaaaa/);
  });

  it('unrelated history (a force-push) rebuilds in full, with a notice', () => {
    const p = plan({ live: served(), history: history({}, 'unrelated') });
    expect(p.kind).toBe('full');
    expect(p.notices[0]).toMatch(/not in this commit's history/);
  });

  it('update: full forces a rebuild, even for an older commit', () => {
    expect(plan({ live: served(), history: history({}, 'backward'), desired: desired({ update: 'full' }) }).kind).toBe('full');
  });

  it('history that cannot be read rebuilds in full, saying why', () => {
    const p = plan({ live: served(), history: { ok: false, why: 'the workspace is not a git repository' } });
    expect(p).toMatchObject({ kind: 'full', why: 'the workspace is not a git repository' });
  });

  it('a live pyramid that names no commit rebuilds in full', () => {
    expect(plan({ live: served({ commit: undefined }) }).why).toBe('the live pyramid does not say which commit it reflects');
  });

  it('a live pyramid UNSTABLE, or gone, rebuilds in full', () => {
    expect(plan({ live: served({}, { status: 'UNSTABLE' }), history: history() }).why).toMatch(/p1 is UNSTABLE/);
    expect(plan({ live: served({ storedData: undefined }), history: history() }).why).toMatch(/p1 no longer exists/);
  });

  it('another TMS, read from the pyramid itself, rebuilds in full', () => {
    const p = plan({ live: served({ parameters: undefined }, { tms: 'LAMB93_10cm' }), history: history({ modified: [FILES[0]] }) });
    expect(p.why).toMatch(/the pyramid's parameters change \(tms LAMB93_10cm → PM\)/);
  });

  it("a pyramid without the action's parameters tag, made by another tool, updates incrementally", () => {
    const p = plan({ live: served({ parameters: undefined }, { tags: { github_sha: OLD } }), history: history({ added: [FILES[0]] }) });
    expect(p.kind).toBe('incremental');
  });

  it('a parameter the platform does not give is no difference (interpolation unread)', () => {
    const p = plan({
      live: served({ parameters: { tms: 'PM' } }),
      history: history({ added: [FILES[0]] }),
      desired: desired({ parameters: { tms: 'PM', interpolation: 'nn' } }),
    });
    expect(p.kind).toBe('incremental');
  });

  it('a change of mask, read from the execution, rebuilds in full', () => {
    const p = plan({
      live: served({ parameters: { mask: false } }),
      history: history({ added: [FILES[0]] }),
      desired: desired({ parameters: { mask: 'true' } }),
    });
    expect(p.why).toMatch(/mask false → true/);
  });

  it('rebuild-every reached, counted along the chain of dependencies, rebuilds in full', () => {
    expect(plan({ live: served({ depth: 20 }), history: history({ added: [FILES[0]] }) }).why).toMatch(/20 incremental updates in a row/);
    expect(plan({ live: served({ depth: 20 }), history: history({ added: [FILES[0]] }), desired: desired({ rebuildEvery: 0 }) }).kind).toBe(
      'incremental',
    );
  });

  it('update: incremental refuses a case that needs a full rebuild, saying why', () => {
    expect(() => plan({ live: served(), history: history({ deleted: ['x.tif'] }), desired: desired({ update: 'incremental' }) })).toThrow(
      InputError,
    );
  });

  it("services on two pyramids converge on this commit's: the other one re-pointed, nothing built", () => {
    const layer = live([service('WMTS-TMS', 'new'), service('WMS-RASTER', 'p1')], [pyramid('p1'), pyramid('new', { commit: NEW })]);
    const p = plan({ live: layer, desired: desired({ services: ['WMTS-TMS', 'WMS-RASTER'] }) });
    expect(p.kind).toBe('reconfigured');
    expect(p.live?.id).toBe('new');
    expect(steps(p)).toEqual(['WMTS-TMS keep/keep', 'WMS-RASTER repoint/sync']);
  });

  it("services on two pyramids, none of this commit's: a full rebuild", () => {
    const layer = live([service('WMTS-TMS', 'p2'), service('WMS-RASTER', 'p1')], [pyramid('p1'), pyramid('p2')]);
    expect(plan({ live: layer }).why).toMatch(/serve different pyramids \(p1, p2\)/);
  });

  it('a service added on an unchanged layer: reconfigured, the new one made', () => {
    const p = plan({ live: served(), history: history(), desired: desired({ services: ['WMTS-TMS', 'WMS-RASTER'] }) });
    expect(p.kind).toBe('reconfigured');
    expect(steps(p)).toEqual(['WMTS-TMS keep/keep', 'WMS-RASTER create/create']);
  });

  it('a new title on an unchanged layer: reconfigured, the configuration retitled and re-synchronised', () => {
    const p = plan({ live: served(), history: history(), desired: desired({ title: 'New', abstract: 'New' }) });
    expect(p.kind).toBe('reconfigured');
    expect(steps(p)).toEqual(['WMTS-TMS settings/sync']);
  });

  it('another openness: the offering published again on the other endpoint', () => {
    expect(steps(plan({ live: served(), history: history(), desired: desired({ open: false }) }))).toEqual(['WMTS-TMS keep/republish']);
  });

  it('a missing offering is made, an UNSTABLE one re-synchronised', () => {
    const missing = live([service('WMTS-TMS', 'p1', null)], [pyramid('p1')]);
    expect(steps(plan({ live: missing, history: history() }))).toEqual(['WMTS-TMS keep/create']);
    const unstable = live([service('WMTS-TMS', 'p1', { status: 'UNSTABLE' })], [pyramid('p1')]);
    expect(plan({ live: unstable, history: history() })).toMatchObject({ kind: 'reconfigured' });
  });

  it('a live service not in `services` is kept in step, and said', () => {
    const layer = live([service('WMTS-TMS', 'p1'), service('WMS-RASTER', 'p1')], [pyramid('p1')]);
    const p = plan({ live: layer, history: history({ added: [FILES[0]] }) });
    expect(steps(p)).toEqual(['WMTS-TMS repoint/sync', 'WMS-RASTER repoint/sync']);
    expect(p.notices).toEqual([expect.stringMatching(/WMS-RASTER serves this layer but is not in input 'services'/)]);
  });

  it('configurations that use no pyramid: a full rebuild', () => {
    expect(plan({ live: live([service('WMTS-TMS', undefined)], []) }).kind).toBe('full');
  });
});
