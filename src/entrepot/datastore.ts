import type { Transport } from './transport.js';
import type { DatastoreUsage, Membership } from './types.js';

/** The account and its datastore, as the read-only checks before a run need them (docs/api.md, "Rights", "Quota"). */
export interface DatastoreApi {
  /** The upload space (`use`, `quota` in bytes), or undefined when the datastore does not say. */
  usage(): Promise<DatastoreUsage | undefined>;
  /** The account's communities with their datastore and rights (`GET /users/me`). */
  memberships(): Promise<Membership[]>;
}

export class DatastoreClient implements DatastoreApi {
  constructor(private readonly transport: Transport) {}

  async usage(): Promise<DatastoreUsage | undefined> {
    const body = await this.transport.readJson('read the datastore', '');
    const storages = ((body ?? {}) as { storages?: Record<string, unknown> }).storages ?? {};
    // `upload` in the 2024 tutorial, `uploads` in the 2026 schema (docs/api.md).
    const upload = (storages.uploads ?? storages.upload) as { use?: unknown; quota?: unknown } | undefined;
    if (!upload || typeof upload.quota !== 'number') return undefined;
    return { use: Number(upload.use), quota: upload.quota };
  }

  /** The account's communities with their datastore and rights (`GET /users/me`). */
  async memberships(): Promise<Membership[]> {
    const body = await this.transport.readJson('read the account', '/users/me', (json) => json, this.transport.root);
    const members = ((body ?? {}) as { communities_member?: unknown }).communities_member;
    return (Array.isArray(members) ? members : []).map((m: { community?: { name?: unknown; datastore?: unknown }; rights?: unknown }) => ({
      community: String(m.community?.name ?? '?'),
      datastore: typeof m.community?.datastore === 'string' ? m.community.datastore : undefined,
      rights: Array.isArray(m.rights) ? m.rights.map(String) : [],
    }));
  }
}
