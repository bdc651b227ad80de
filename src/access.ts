import type { EntrepotApi } from './entrepot/client.js';
import { AccessError, ApiError, FileError, InputError } from './errors.js';
import { formatBytes } from './format.js';

/** The right an account needs in the community that owns the datastore (entrepot-api.md §1). */
const UPLOAD_RIGHT = 'UPLOAD';

/**
 * Read-only checks before anything is sent: the account may upload to this datastore, the
 * datastore exists, and the files fit in its upload quota. What cannot be read only warns.
 */
export async function checkAccess(
  api: Pick<EntrepotApi, 'memberships' | 'usage'>,
  target: { datastore: string; apiUrl: string; bytes: number },
  warn: (message: string) => void,
): Promise<void> {
  let memberships;
  try {
    memberships = await api.memberships();
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) throw error;
    warn(`Could not read the account's rights (GET /users/me): ${(error as Error).message}`);
  }
  const membership = memberships?.find((m) => m.datastore === target.datastore);
  if (membership && !membership.rights.includes(UPLOAD_RIGHT))
    throw new AccessError(
      `The account lacks the ${UPLOAD_RIGHT} right in community '${membership.community}', which owns datastore ${target.datastore} (it has ${membership.rights.join(', ') || 'no right'}); ask that community's administrator for it`,
    );

  let usage;
  try {
    usage = await api.usage();
  } catch (error) {
    if (error instanceof ApiError && error.status === 404)
      throw new InputError(
        'datastore',
        `datastore ${target.datastore} was not found at ${target.apiUrl}; copy its id from GET /users/me (communities_member[].community.datastore)`,
      );
    if (error instanceof ApiError && (error.status === 401 || error.status === 403)) throw error;
    warn(`Could not read the datastore's upload quota: ${(error as Error).message}`);
    return;
  }
  if (!usage) return;
  const free = usage.quota - usage.use;
  if (target.bytes > free)
    throw new FileError(
      [],
      `The files (${formatBytes(target.bytes)}) do not fit in the datastore's upload space: ${formatBytes(Math.max(0, free))} free of ${formatBytes(usage.quota)}, ${formatBytes(target.bytes - Math.max(0, free))} missing; delete processed uploads to free space`,
    );
}
