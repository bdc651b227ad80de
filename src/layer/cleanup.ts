import type { LayerApi } from '../entrepot/layers.js';
import { unlessGone } from '../entrepot/transport.js';
import type { StoredData } from '../entrepot/types.js';
import { waitFor } from '../http/retry.js';
import { errorText } from '../shared/errors.js';
import { TAG_LAYER } from './pyramid.js';
import type { LayerEvent } from './types.js';

/**
 * The clean-up, on every run, as part of the reconcile: the pyramids this layer's tag owns that no
 * configuration uses and no other pyramid references are deleted, newest first along their
 * references (a referenced pyramid cannot be deleted: docs/api.md, "Layers"), each awaited until
 * DELETED or gone. A refusal is a warning, and the next run tries again: nothing is remembered in a
 * tag. A pyramid being built (by another run, maybe) is left alone.
 */

/** How long a deleted pyramid is watched until it reads DELETED or is gone. */
const DELETION_MS = 60_000;
/** Statuses a pyramid is deleted in: finished, well or not. */
const DELETABLE = new Set(['GENERATED', 'UNSTABLE']);

export async function cleanUp(
  api: LayerApi,
  layer: string,
  inUse: ReadonlySet<string>,
  emit: (event: LayerEvent) => void,
  signal?: AbortSignal,
): Promise<string[]> {
  const owned = await api.storedDataTagged({ [TAG_LAYER]: layer });
  let left = owned.filter((sd) => !inUse.has(sd.id) && DELETABLE.has(sd.status));
  const deleted: string[] = [];
  while (left.length) {
    const blocked: StoredData[] = [];
    for (const sd of left) {
      const dependants = await api.dependencies(sd.id).then(
        (d) => d.usedBy.filter((id) => !deleted.includes(id)),
        (error: unknown) => {
          emit({
            type: 'warning',
            message: `Pyramid ${sd.id} was kept: its dependencies could not be read (${errorText(error)}); the next run tries again`,
          });
          return undefined;
        },
      );
      if (dependants === undefined) continue;
      if (dependants.length) blocked.push(sd);
      else if (await remove(api, sd, emit, signal)) deleted.push(sd.id);
    }
    // Only what a deletion in this pass has freed is tried again.
    if (blocked.length === left.length) break;
    left = blocked;
  }
  return deleted;
}

async function remove(api: LayerApi, sd: StoredData, emit: (event: LayerEvent) => void, signal?: AbortSignal): Promise<boolean> {
  try {
    await api.deleteStoredData(sd.id);
    const gone = async () => ((await unlessGone(() => api.storedData(sd.id)))?.status ?? 'DELETED') === 'DELETED';
    if (!(await waitFor(gone, (isGone) => isGone, DELETION_MS, signal))) {
      emit({ type: 'warning', message: `Pyramid ${sd.id} was asked to be deleted but still shows: the next run looks again` });
      return false;
    }
    emit({ type: 'info', message: `Deleted pyramid ${sd.id}: nothing uses it any more` });
    return true;
  } catch (error) {
    emit({ type: 'warning', message: `Pyramid ${sd.id} was kept (${errorText(error)}); the next run tries again` });
    return false;
  }
}
