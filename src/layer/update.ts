import type { LayerApi } from '../entrepot/layers.js';
import { record, string } from '../entrepot/json.js';
import type { Endpoint, ServiceType, StoredData } from '../entrepot/types.js';
import { InputError, LayerStateError, list } from '../shared/errors.js';
import type { ChangeReading } from '../workspace/changes.js';
import type { LocalFile } from '../workspace/files.js';
import { carriesCatalogue, readLive, settingsOf, type LiveLayer, type LivePyramid } from './live.js';
import type { ConfigurationCatalogue, LayerOptions, ServiceStep, UpdateOptions, UpdatePlan } from './types.js';

/**
 * How a run brings the live layer to what its commit and inputs ask: a reconcile. The live layer is
 * read from the platform (live.ts); what is asked is the run's commit, files and inputs; the plan is
 * a pure function of the two (`planUpdate`, tested as a table), and the dry run, the log, the
 * summary and the comment print it. docs/api.md, "Layers": updates, has the facts behind each rule.
 */

/** Tags the action sets on a pyramid: how it was built (a hint; the platform's own fields decide). */
export const TAG_PARAMETERS = 'parameters';
export const TAG_CHAIN = 'chain';

/** The pyramid's parameters as one string: what a pyramid is tagged with. */
export function parametersTag(parameters: Record<string, string>): string {
  return Object.keys(parameters)
    .sort()
    .map((k) => `${k}=${parameters[k]}`)
    .join(';');
}

/** What the run asks of the layer. */
export interface DesiredLayer extends UpdateOptions {
  /** The run's commit (GITHUB_SHA, when it is a commit id). */
  commit?: string;
  files: LocalFile[];
  /** The pyramid's parameters as the run would send them (`tms`, `compression`, …). */
  parameters: Record<string, string>;
  services: ServiceType[];
  title: string;
  abstract: string;
  open: boolean;
  /** Tags every configuration carries (`datasheet_name`, the fiche's services; `theme`). */
  configurationTags: Record<string, string>;
  /** The record's links and keywords every configuration carries, when the layer has a record. */
  catalogue?: ConfigurationCatalogue;
}

/** The live layer, what is asked, and what git says of the live pyramid's commit (when it names one). */
export interface UpdateInput {
  live: LiveLayer;
  desired: DesiredLayer;
  history?: ChangeReading;
}

/** The live layer read, then what git says since its pyramid's commit, then the plan. */
export async function decideUpdate(
  api: LayerApi,
  options: LayerOptions & UpdateOptions,
  desired: DesiredLayer,
  readChanges: (since: string) => Promise<ChangeReading>,
): Promise<UpdatePlan> {
  const live = await readLive(api, options.layer ?? '');
  const used = [...live.pyramids.values()];
  const commit = used.length === 1 ? used[0].commit : undefined;
  const history = commit && desired.update !== 'full' ? await readChanges(commit) : undefined;
  return planUpdate({ live, desired, history });
}

/** The plan: a pure function of the live layer, what is asked, and the history (docs/api.md, "Layers": updates). */
export function planUpdate(input: UpdateInput): UpdatePlan {
  const decision = decidePyramid(input);
  const services = serviceSteps(input, decision);
  const changesSomething = services.some((s) => s.configuration !== 'keep' || s.offering !== 'keep' || Object.keys(s.tags).length > 0);
  let { kind, why } = decision;
  if (kind === 'unchanged' && changesSomething) {
    kind = 'reconfigured';
    why = `${why}; ${reconfigurationWhy(services)}`;
  }
  if (kind === 'stale') return { ...decision, kind, why, services: [], notices: decision.notices };
  return { ...decision, kind, why, services, notices: [...decision.notices, ...unaskedNotices(services)] };
}

type Decision = Omit<UpdatePlan, 'services'>;

function decidePyramid({ live, desired, history }: UpdateInput): Decision {
  const base = { files: desired.files, chain: 0, notices: [] as string[] };
  const full = (why: string, extra: Partial<Decision> = {}): Decision => {
    if (desired.update === 'incremental')
      throw new InputError('update', `is incremental, but ${why}: a full rebuild is needed; set update: auto (or full)`);
    return { ...base, kind: 'full', why, ...extra };
  };
  const used = [...live.pyramids.values()];
  if (used.length === 0)
    return live.services.length
      ? full('no configuration of the layer uses a pyramid')
      : { ...base, kind: 'created', why: 'the layer is new' };
  if (used.length > 1) return converge(used, desired, full);
  const [pyramid] = used;
  const sd = pyramid.storedData;
  if (!sd) return full(`its pyramid ${pyramid.id} no longer exists`);
  if (sd.status !== 'GENERATED') return full(`its pyramid ${sd.id} is ${sd.status}`, { live: sd });
  if (desired.update === 'full') return full('update: full', { live: sd });
  return fromHistory(pyramid, sd, { desired, history }, full);
}

/** Services on different pyramids: they converge on this commit's one when there is one, else a full rebuild. */
function converge(used: LivePyramid[], desired: DesiredLayer, full: (why: string) => Decision): Decision {
  const mine = used.find((p) => p.commit !== undefined && p.commit === desired.commit && p.storedData?.status === 'GENERATED');
  const names = used
    .map((p) => p.id)
    .sort()
    .join(', ');
  if (!mine) return full(`its services serve different pyramids (${names})`);
  return {
    kind: 'unchanged',
    why: `its services serve different pyramids (${names}): all now serve ${mine.id}, this commit's`,
    files: [],
    live: mine.storedData,
    chain: mine.depth,
    notices: [],
  };
}

function fromHistory(
  pyramid: LivePyramid,
  sd: StoredData,
  { desired, history }: Pick<UpdateInput, 'desired' | 'history'>,
  full: (why: string, extra?: Partial<Decision>) => Decision,
): Decision {
  const keep = { live: sd };
  if (!pyramid.commit) return full('the live pyramid does not say which commit it reflects', keep);
  const short = pyramid.commit.slice(0, 7);
  if (!history) return full(`commit ${short} of the live pyramid cannot be compared`, keep);
  if (!history.ok) return full(history.why, keep);
  if (history.ancestry === 'backward')
    return {
      kind: 'stale',
      why: `commit ${desired.commit?.slice(0, 7) ?? 'HEAD'} is older than ${short}, which the layer serves: nothing is changed (a re-run of an earlier workflow run?)`,
      files: [],
      live: sd,
      chain: pyramid.depth,
      notices: [],
    };
  if (history.ancestry === 'unrelated')
    return full(`the live commit ${short} is not an ancestor of this one (history rewritten)`, {
      ...keep,
      notices: [`Commit ${short}, which layer serves, is not in this commit's history: a full rebuild from this commit`],
    });
  const differs = parameterChange(pyramid, sd, desired);
  if (differs) return full(`the pyramid's parameters change (${differs})`, keep);
  if (desired.rebuildEvery > 0 && pyramid.depth >= desired.rebuildEvery)
    return full(`${pyramid.depth} incremental updates in a row (rebuild-every: ${desired.rebuildEvery})`, keep);
  return fromChanges(history.changes, pyramid, sd, desired, full);
}

function fromChanges(
  changes: Extract<ChangeReading, { ok: true }>['changes'],
  pyramid: LivePyramid,
  sd: StoredData,
  desired: DesiredLayer,
  full: (why: string, extra?: Partial<Decision>) => Decision,
): Decision {
  const short = changes.since.slice(0, 7);
  const keep = { live: sd };
  const some = (n: number, what: string) => `${n} file${n > 1 ? 's' : ''} ${what}`;
  if (changes.opaque.length)
    return full(
      `${some(changes.opaque.length, 'lie under a submodule or a symlink')}, where git cannot say what changed (${list(changes.opaque, 3)})`,
      keep,
    );
  if (changes.deleted.length)
    return full(`${some(changes.deleted.length, `deleted or renamed away since ${short}`)} (${list(changes.deleted, 3)})`, keep);
  if (changes.moved.length)
    return full(
      `the ground moved: ${list(
        changes.moved.map((m) => `${m.path} (${m.why})`),
        3,
      )}`,
      keep,
    );
  const changed = withWorldFiles([...changes.added, ...changes.modified], desired.files);
  if (changed.length === 0)
    return { kind: 'unchanged', why: `no matched file changed since ${short}`, files: [], live: sd, chain: pyramid.depth, notices: [] };
  const counts = [changes.added.length && `${changes.added.length} added`, changes.modified.length && `${changes.modified.length} modified`]
    .filter(Boolean)
    .join(', ');
  const unread = changes.uncompared ? `; the ground of ${changes.uncompared} Git LFS file(s) is compared when they are fetched` : '';
  return {
    kind: 'incremental',
    why: `${some(changes.added.length + changes.modified.length, `changed since ${short}`)} (${counts}, of ${desired.files.length})${unread}`,
    files: changed,
    live: sd,
    chain: pyramid.depth + 1,
    notices: [],
  };
}

/** A TIFF and its world file always travel together: a changed one brings the other. */
function withWorldFiles(changed: LocalFile[], all: LocalFile[]): LocalFile[] {
  const stem = (f: LocalFile) => f.remotePath.replace(/\.[^./]+$/, '').toLowerCase();
  const stems = new Set(changed.map(stem));
  const sent = new Set(changed);
  for (const file of all) if (!sent.has(file) && stems.has(stem(file))) sent.add(file);
  return [...sent].sort((a, b) => (a.remotePath < b.remotePath ? -1 : a.remotePath > b.remotePath ? 1 : 0));
}

/**
 * What differs between the live pyramid and the parameters asked, read from the platform: the TMS
 * and compression from `type_infos`, the rest from its execution's parameters; a value the
 * platform does not give is not a difference (it cannot be read, so it is not guessed).
 */
function parameterChange(pyramid: LivePyramid, sd: StoredData, desired: DesiredLayer): string | undefined {
  const ran = record(pyramid.parameters);
  const live: Record<string, string | undefined> = {
    tms: sd.tms ?? string(ran.tms),
    compression: sd.compression ?? string(ran.compression),
    interpolation: string(ran.interpolation),
    bottom: string(ran.bottom) ?? (typeof ran.bottom === 'number' ? String(ran.bottom) : undefined),
    top: string(ran.top) ?? (typeof ran.top === 'number' ? String(ran.top) : undefined),
    mask: typeof ran.mask === 'boolean' || typeof ran.mask === 'string' ? String(ran.mask) : undefined,
  };
  const changed = Object.entries(desired.parameters).filter(([name, value]) => {
    const held = live[name];
    return held !== undefined && held.toLowerCase() !== value.toLowerCase();
  });
  return changed.length ? changed.map(([name, value]) => `${name} ${live[name]} → ${value}`).join(', ') : undefined;
}

/** Each service's steps: the requested ones, and the live ones not requested (kept in step, never left behind). */
function serviceSteps({ live, desired }: UpdateInput, decision: Decision): ServiceStep[] {
  const byType = new Map(live.services.flatMap((s) => (s.configuration.type ? [[s.configuration.type, s] as const] : [])));
  const types = [...new Set([...desired.services, ...byType.keys()])];
  const building = decision.kind === 'created' || decision.kind === 'full' || decision.kind === 'incremental';
  const target = decision.live?.id;
  return types.map((type): ServiceStep => {
    const requested = desired.services.includes(type);
    const service = byType.get(type);
    if (!service) return { type, requested, configuration: 'create', offering: 'create', tags: { ...desired.configurationTags } };
    const { configuration } = service;
    const settings = settingsOf(configuration);
    const repoint = building || !configuration.usedData.length || configuration.usedData.some((u) => u.stored_data !== target);
    const retitled =
      settings.title !== desired.title || settings.abstract !== desired.abstract || !carriesCatalogue(configuration, desired.catalogue);
    const step: ServiceStep['configuration'] = repoint ? 'repoint' : retitled ? 'settings' : 'keep';
    const [offering] = service.offerings;
    const offer: ServiceStep['offering'] = !offering
      ? 'create'
      : offering.open !== undefined && offering.open !== desired.open
        ? 'republish'
        : step !== 'keep' || offering.status === 'UNSTABLE'
          ? 'sync'
          : 'keep';
    const tags = Object.fromEntries(Object.entries(desired.configurationTags).filter(([k, v]) => configuration.tags[k] !== v));
    return { type, requested, configuration: step, offering: offer, tags, live: service };
  });
}

function reconfigurationWhy(steps: ServiceStep[]): string {
  const said: Record<string, string> = {
    create: 'created',
    repoint: 'pointed at the pyramid',
    settings: 'given its new settings',
    sync: 're-synchronised',
    republish: 'published on the other endpoint',
  };
  const tagged = (s: ServiceStep) => (Object.keys(s.tags).length ? [`tagged ${Object.keys(s.tags).join(', ')}`] : []);
  const acts = (s: ServiceStep) => [...[s.configuration, s.offering].filter((a) => a !== 'keep').map((a) => said[a]), ...tagged(s)];
  return steps
    .filter((s) => acts(s).length > 0)
    .map((s) => `${s.type} ${acts(s).join(' and ')}`)
    .join('; ');
}

function unaskedNotices(steps: ServiceStep[]): string[] {
  return steps
    .filter((s) => !s.requested)
    .map(
      (s) =>
        `${s.type} serves this layer but is not in input 'services': it is kept in step with the layer (unpublish it by hand to end it)`,
    );
}

/**
 * Each endpoint the plan publishes new offerings on has room for them (its `use` against its
 * `quota`, as the datastore lists them): a full endpoint is said before anything is sent, not after
 * the pyramid is built (docs/api.md, "Rights and names").
 */
export function checkEndpointRoom(plan: UpdatePlan, endpoints: Endpoint[], open: boolean): void {
  const wanted = new Map<Endpoint, number>();
  for (const step of plan.services) {
    if (step.offering !== 'create' && step.offering !== 'republish') continue;
    const endpoint = endpoints.find((e) => e.type === step.type && e.open === open);
    if (endpoint) wanted.set(endpoint, (wanted.get(endpoint) ?? 0) + 1);
  }
  for (const [endpoint, count] of wanted)
    if (endpoint.use !== undefined && endpoint.quota !== undefined && endpoint.use + count > endpoint.quota)
      throw new LayerStateError(
        `The datastore's ${open ? 'open' : 'private'} ${endpoint.type} endpoint holds ${endpoint.use} of its ${endpoint.quota} offerings: no room for this layer's; unpublish a layer you no longer serve, or ask IGN for a larger quota`,
      );
}
