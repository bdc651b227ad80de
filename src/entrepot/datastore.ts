import { array, idOf, number, numeric, record, string, text } from './json.js';
import type { Transport } from './transport.js';
import { toEndpoints } from './shapes.js';
import type { DatastoreUsage, Endpoint, Membership } from './types.js';

export interface DatastoreFacts {
  usage?: DatastoreUsage;
  /** `configuration_layer_name_prefix`: every layer name of the datastore starts with it (docs/api.md, "Rights and names"). */
  layerNamePrefix?: string;
  /** `metadata_file_identifier_prefix`: a record's file identifier starts with it and a dot (docs/catalogue.md). */
  metadataPrefix?: string;
  /** `technical_name`: the annexes' public URLs hold it. */
  technicalName?: string;
  /** Its endpoints (the services', the catalogue's), with their URLs, use and quota. */
  endpoints: Endpoint[];
}

/** The account and its datastore, as the read-only checks before a run need them (docs/api.md, "Rights", "Quota"). */
export interface DatastoreApi {
  /** The upload space (`use`, `quota` in bytes, undefined when it does not say) and the layer names' mandatory prefix. */
  datastore(): Promise<DatastoreFacts>;
  /** The account's communities with their datastore and rights (`GET /users/me`). */
  memberships(): Promise<Membership[]>;
}

export class DatastoreClient implements DatastoreApi {
  constructor(private readonly transport: Transport) {}

  async datastore(): Promise<DatastoreFacts> {
    return this.transport.readJson('read the datastore', '', (body) => ({
      usage: toUsage(body),
      layerNamePrefix: string(record(body).configuration_layer_name_prefix) || undefined,
      metadataPrefix: string(record(body).metadata_file_identifier_prefix) || undefined,
      technicalName: string(record(body).technical_name) || undefined,
      endpoints: toEndpoints(body),
    }));
  }

  async memberships(): Promise<Membership[]> {
    return this.transport.readJson('read the account', '/users/me', toMemberships, this.transport.root);
  }
}

/** `storages.uploads` in the 2026 schema, `storages.upload` in the 2024 tutorial (docs/api.md, "Quota"). */
function toUsage(body: unknown): DatastoreUsage | undefined {
  const storages = record(record(body).storages);
  const upload = record(storages.uploads ?? storages.upload);
  const quota = number(upload.quota);
  return quota === undefined ? undefined : { use: numeric(upload.use) ?? NaN, quota };
}

function toMemberships(body: unknown): Membership[] {
  return array(record(body).communities_member).map((value) => {
    const member = record(value);
    const community = record(member.community);
    return {
      community: text(community.name, '?'),
      datastore: string(community.datastore) ?? idOf(community.datastore),
      rights: array(member.rights).flatMap((right) => string(right) ?? []),
    };
  });
}
