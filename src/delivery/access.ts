import type { DatastoreApi } from '../entrepot/datastore.js';
import type { DatastoreUsage } from '../entrepot/types.js';
import { AccessError, ApiError, InputError, QuotaError, RequestError } from '../shared/errors.js';
import { formatBytes } from '../shared/format.js';

/** The right an account needs in the community that owns the datastore (docs/api.md, "Rights"). */
const UPLOAD_RIGHT = 'UPLOAD';

/**
 * Read-only checks before anything is sent: the account may upload to this datastore and the
 * datastore exists. Returns its upload space for the quota check, once the run knows what it
 * still has to send; undefined when that could not be read (a warning says so).
 */
export async function checkAccess(
  api: DatastoreApi,
  target: { datastore: string; apiUrl: string },
  warn: (message: string) => void,
): Promise<DatastoreUsage | undefined> {
  // Both reads at once (one round trip, not two), judged in order: the rights, then the datastore.
  const [rights, space] = await Promise.allSettled([api.memberships(), api.usage()]);
  let memberships;
  if (rights.status === 'fulfilled') memberships = rights.value;
  else {
    const error: unknown = rights.reason;
    if (!unreadable(error)) throw error;
    warn(`Could not read the account's rights (GET /users/me): ${error.message}`);
  }
  const membership = memberships?.find((m) => m.datastore === target.datastore);
  if (membership && !membership.rights.includes(UPLOAD_RIGHT))
    throw new AccessError(
      `The account lacks the ${UPLOAD_RIGHT} right in community '${membership.community}', which owns datastore ${target.datastore} (it has ${membership.rights.join(', ') || 'no right'}); ask that community's administrator for it`,
    );

  try {
    if (space.status === 'rejected') throw space.reason;
    const usage = space.value;
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
