import type { ChangeReading } from '../workspace/changes.js';
import { InputError, list } from '../shared/errors.js';
import type { StoredData } from '../entrepot/types.js';
import type { LocalFile } from '../workspace/files.js';
import type { LayerApi } from '../entrepot/layers.js';
import { SERVICE_TYPE_OF, type LayerOptions, type UpdateOptions, type UpdatePlan } from './types.js';
import { PROVENANCE_KEYS } from '../shared/provenance.js';

/**
 * How a merge brings a live layer up to date, so that it costs what it changes (docs/api.md,
 * "Layers": updates). Nothing changed: nothing is sent or built. Only additions and modifications:
 * a pyramid of just those files that references the live one (IGN's update "au fur et à mesure").
 * A deletion, a rename away, other parameters, or `rebuild-every` reached: a full rebuild, after
 * which the previous chain is deleted. The pyramid's tags hold what the decision reads.
 */

/** Tags the action sets on a pyramid, for the next merge's decision. */
export const TAG_PARAMETERS = 'parameters';
export const TAG_CHAIN = 'chain';

/** The pyramid's parameters as one string: what a pyramid is tagged with, and compared by. */
export function parametersTag(parameters: Record<string, string>): string {
  return Object.keys(parameters)
    .sort()
    .map((k) => `${k}=${parameters[k]}`)
    .join(';');
}

/**
 * The update to make. `readChanges` is called only when the live pyramid allows an incremental
 * update at all; `update: incremental` turns a needed full rebuild into one error that says why.
 */
export async function planUpdate(
  options: UpdateOptions,
  files: LocalFile[],
  live: StoredData | undefined,
  parameters: Record<string, string>,
  readChanges: (since: string) => Promise<ChangeReading>,
): Promise<UpdatePlan> {
  if (!live) return { kind: 'created', why: 'the layer is new', files, chain: 0 };
  const full = (why: string): UpdatePlan => {
    if (options.update === 'incremental')
      throw new InputError('update', `is incremental, but ${why}: a full rebuild is needed; set update: auto (or full)`);
    return { kind: 'full', why, files, live, chain: 0 };
  };
  if (options.update === 'full') return { kind: 'full', why: 'update: full', files, live, chain: 0 };
  const was = live.tags[TAG_PARAMETERS];
  if (was !== parametersTag(parameters))
    return full(
      was ? `the pyramid's parameters change (${was} → ${parametersTag(parameters)})` : 'the live pyramid does not say how it was built',
    );
  const since = live.tags[PROVENANCE_KEYS.sha];
  if (!since) return full('the live pyramid does not say which commit it reflects');
  const chain = Number(live.tags[TAG_CHAIN] ?? 0) || 0;
  if (options.rebuildEvery > 0 && chain >= options.rebuildEvery)
    return full(`${chain} incremental updates in a row (rebuild-every: ${options.rebuildEvery})`);
  const reading = await readChanges(since);
  if (!reading.ok) return full(reading.why);
  const { added, modified, deleted } = reading.changes;
  const short = since.slice(0, 7);
  if (deleted.length)
    return full(`${deleted.length} file${deleted.length > 1 ? 's' : ''} deleted or renamed away since ${short} (${list(deleted, 3)})`);
  const changed = [...added, ...modified];
  if (changed.length === 0) return { kind: 'unchanged', why: `no matched file changed since ${short}`, files: [], live, chain };
  const counts = [added.length && `${added.length} added`, modified.length && `${modified.length} modified`].filter(Boolean).join(', ');
  return {
    kind: 'incremental',
    why: `${changed.length} file${changed.length > 1 ? 's' : ''} changed since ${short} (${counts}, of ${files.length})`,
    files: changed.sort((a, b) => (a.remotePath < b.remotePath ? -1 : 1)),
    live,
    chain: chain + 1,
  };
}

/**
 * How the live layer is brought up to date: its pyramid (read whole, from the first requested
 * service that has one), then what changed since that pyramid's commit, read from git by `readChanges`.
 */
export async function decideUpdate(
  api: LayerApi,
  options: LayerOptions & UpdateOptions,
  parameters: Record<string, string>,
  files: LocalFile[],
  readChanges: (since: string) => Promise<ChangeReading>,
): Promise<UpdatePlan> {
  return planUpdate(options, files, await livePyramid(api, options), parameters, readChanges);
}

/** The pyramid the live layer serves (read whole), or undefined when the layer is new. */
export async function livePyramid(api: LayerApi, options: LayerOptions): Promise<StoredData | undefined> {
  for (const service of options.services) {
    const [configuration] = await api.configurationsOf(options.layer as string, SERVICE_TYPE_OF[service]);
    const id = configuration?.usedData[0]?.stored_data;
    if (id) return api.storedData(id);
  }
  return undefined;
}
