import type { DatastoreApi } from '../entrepot/datastore.js';
import type { DatastoreUsage, Membership } from '../entrepot/types.js';
import { AccessError, ApiError, InputError, QuotaError, RequestError } from '../shared/errors.js';
import { formatBytes } from '../shared/format.js';

/**
 * The rights an account needs in the community that owns the datastore: UPLOAD to deliver, and for
 * a layer PROCESSING (the pyramid) and BROADCAST (configurations, offerings) (docs/api.md, "Rights").
 */
function rightsNeeded(layer: boolean): string[] {
  return layer ? ['UPLOAD', 'PROCESSING', 'BROADCAST'] : ['UPLOAD'];
}

export interface AccessTarget {
  datastore: string;
  apiUrl: string;
  /** The layer to publish, when there is one: its rights and its name's prefix are checked too. */
  layer?: string;
}

/**
 * Read-only checks before anything is sent: the account holds the rights the run needs on this
 * datastore, the datastore exists at `api-url`, and a layer name has the datastore's mandatory
 * prefix. Returns the upload space for the quota check, once the run knows what it still has to
 * send; undefined when that could not be read (a warning says so).
 */
export async function checkAccess(
  api: DatastoreApi,
  target: AccessTarget,
  warn: (message: string) => void,
): Promise<DatastoreUsage | undefined> {
  // Both reads at once (one round trip, not two), judged in order: the rights, then the datastore.
  const [rights, facts] = await Promise.allSettled([api.memberships(), api.datastore()]);
  checkRights(rights, target, warn);
  try {
    if (facts.status === 'rejected') throw facts.reason;
    const { usage, layerNamePrefix } = facts.value;
    if (target.layer && layerNamePrefix && !target.layer.startsWith(layerNamePrefix))
      throw new InputError(
        'layer',
        `'${target.layer}' does not start with '${layerNamePrefix}', the prefix datastore ${target.datastore} requires of every layer name; for example layer: ${layerNamePrefix}${target.layer}`,
      );
    if (!usage) warn('The datastore does not say how much upload space it has: the quota was not checked');
    return usage;
  } catch (error) {
    if (error instanceof ApiError && error.status === 404)
      throw new InputError(
        'datastore',
        `datastore ${target.datastore} was not found at ${target.apiUrl}; copy its id from GET /users/me (communities_member[].community.datastore)`,
      );
    if (!unreadable(error) || (error instanceof ApiError && error.status === 403)) throw error;
    warn(`Could not read the datastore's upload quota: ${error.message}`);
    return undefined;
  }
}

function checkRights(rights: PromiseSettledResult<Membership[]>, target: AccessTarget, warn: (message: string) => void): void {
  if (rights.status === 'rejected') {
    const error: unknown = rights.reason;
    // The account's route is the API's own: a 404 there means `api-url` is not the API's root.
    if (error instanceof ApiError && error.status === 404)
      throw new InputError(
        'api-url',
        `${target.apiUrl} answered 404 to GET /users/me: it is not the API's root; for example api-url: https://data.geopf.fr/api`,
      );
    if (!unreadable(error)) throw error;
    warn(`Could not read the account's rights (GET /users/me): ${error.message}`);
    return;
  }
  const membership = rights.value.find((m) => m.datastore === target.datastore);
  if (!membership) return;
  const missing = rightsNeeded(target.layer !== undefined).filter((right) => !membership.rights.includes(right));
  if (missing.length)
    throw new AccessError(
      `The account lacks the ${missing.join(' and ')} right${missing.length > 1 ? 's' : ''} in community '${membership.community}', which owns datastore ${target.datastore} (it has ${membership.rights.join(', ') || 'no right'})${target.layer ? `; publishing a layer needs ${rightsNeeded(true).join(', ')}` : ''}: ask that community's administrator`,
    );
}

/** A read that failed on the server's side (not a refused token, a cancel or a bug): worth a warning only. */
function unreadable(error: unknown): error is Error {
  if (error instanceof ApiError) return error.status !== 401;
  return error instanceof RequestError;
}

export type QuotaVerdict = { kind: 'ok' } | { kind: 'warn'; message: string } | { kind: 'refuse'; error: QuotaError };

/**
 * Whether `needed` more bytes fit in the upload space, once `freed` bytes (stale copies, files to
 * prune, uploads to replace) are given back. `use` already holds what a resumed upload holds, so
 * only the bytes still to send count. The server's figures were wrong until August 2026
 * (docs/api.md, "Quota"): figures that cannot be right give a warning, never a refusal.
 */
export function quotaVerdict(usage: DatastoreUsage, needed: number, freed: number): QuotaVerdict {
  const { use, quota } = usage;
  if (!Number.isFinite(use) || !Number.isFinite(quota) || use < 0 || quota <= 0 || use > quota)
    return {
      kind: 'warn',
      message: `The datastore's upload space figures look wrong (${formatBytes(use)} used of ${formatBytes(quota)}): the quota was not checked`,
    };
  const free = quota - use + freed;
  if (needed <= free) return { kind: 'ok' };
  return {
    kind: 'refuse',
    error: new QuotaError(
      needed,
      free,
      `The files still to send (${formatBytes(needed)}) do not fit in the datastore's upload space: ${formatBytes(free)} free of ${formatBytes(quota)}, ${formatBytes(needed - free)} missing; delete processed uploads to free space`,
    ),
  };
}
