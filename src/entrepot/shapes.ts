import { BadResponseError } from '../shared/errors.js';
import {
  CONFIGURATION_STATUSES,
  EXECUTION_STATUSES,
  OFFERING_STATUSES,
  statusOf,
  STORED_DATA_STATUSES,
  UPLOAD_STATUSES,
} from './status.js';
import { asRecord, describeJson } from './transport.js';
import type {
  CheckExecution,
  CheckStatus,
  Configuration,
  Endpoint,
  Offering,
  ProcessingParameter,
  PyramidExecution,
  RemoteTree,
  ServiceType,
  StoredData,
  Upload,
  UploadStatus,
} from './types.js';

/**
 * What the API's JSON means to the action: each entity read from its detail (or a list item, for
 * what a list carries: docs/api.md, "List items"), leniently where servers vary, strictly where a
 * value decides something (an entity without an id is not one).
 */

export function flattenTree(body: unknown, prefix = ''): RemoteTree {
  if (!Array.isArray(body))
    throw new BadResponseError('GET', '…/tree', `the answer is ${describeJson(body)}, not the list the API returns`);
  const tree: RemoteTree = new Map();
  const walk = (nodes: unknown, at: string) => {
    if (!Array.isArray(nodes)) return;
    for (const node of nodes as Array<Record<string, unknown>>) {
      if (!node || typeof node.name !== 'string') continue;
      const here = at ? `${at}/${node.name}` : node.name;
      if (String(node.type).toUpperCase() === 'DIRECTORY' || Array.isArray(node.children)) walk(node.children, here);
      else tree.set(here, Number(node.size));
    }
  };
  walk(body, prefix);
  return tree;
}

/** An upload from the API's JSON; an answer without an id is not one. */
export function toUpload(item: unknown, method: string, route: string): Upload {
  const record = asRecord(item);
  const id = record._id ?? record.id;
  if (typeof id !== 'string' || !id)
    throw new BadResponseError(method, route, `the answer is not an upload (no _id): ${JSON.stringify(item)?.slice(0, 80)}`);
  const lastEvent = record.last_event as { date?: unknown } | undefined;
  const rawStatus = typeof record.status === 'string' ? record.status.toUpperCase() : String(record.status);
  const status: UploadStatus = statusOf(rawStatus, UPLOAD_STATUSES);
  const tags =
    record.tags && typeof record.tags === 'object' && !Array.isArray(record.tags) ? (record.tags as Record<string, unknown>) : {};
  return {
    id,
    name: typeof record.name === 'string' ? record.name : '',
    status,
    rawStatus,
    srs: typeof record.srs === 'string' ? record.srs : undefined,
    type: typeof record.type === 'string' ? record.type : undefined,
    size: typeof record.size === 'number' ? record.size : undefined,
    tags: Object.fromEntries(Object.entries(tags).map(([k, v]) => [k, String(v)])),
    lastEventDate: typeof lastEvent?.date === 'string' ? lastEvent.date : typeof record.creation === 'string' ? record.creation : undefined,
  };
}

/** The most recently active of `uploads`. */
export function newest(uploads: Upload[]): Upload | undefined {
  return [...uploads].sort((a, b) => (b.lastEventDate ?? '').localeCompare(a.lastEventDate ?? ''))[0];
}

export function toCheckExecution(item: unknown, status: CheckStatus): CheckExecution {
  const record = (item ?? {}) as { _id?: unknown; id?: unknown; check?: { name?: unknown; _id?: unknown }; name?: unknown };
  const id = String(record._id ?? record.id ?? '');
  const name = record.check?.name ?? record.name ?? record.check?._id ?? id;
  return { id, name: String(name), status };
}

/** An entity's id; an item without one is not that entity. */
export function entityId(record: Record<string, unknown>, what: string): string {
  const value = record._id ?? record.id;
  if (typeof value !== 'string' || !value) throw new BadResponseError('GET', what, `the answer is not ${what} (no _id)`);
  return value;
}

export function toPyramidExecution(body: unknown): PyramidExecution {
  const record = (body ?? {}) as Record<string, unknown>;
  const output = (record.output as { stored_data?: { _id?: unknown } } | undefined)?.stored_data;
  const uploads = ((record.inputs as { upload?: unknown[] } | undefined)?.upload ?? []).map((u) =>
    typeof u === 'string' ? u : String((u as { _id?: unknown })._id),
  );
  return {
    id: entityId(record, 'an execution'),
    status: statusOf(record.status, EXECUTION_STATUSES),
    storedDataId: typeof output?._id === 'string' ? output._id : undefined,
    uploadIds: uploads,
  };
}

export function toStoredData(body: unknown): StoredData {
  const record = (body ?? {}) as Record<string, unknown>;
  const infos = (record.type_infos ?? {}) as { tms?: unknown; levels?: unknown };
  const tags = (record.tags && typeof record.tags === 'object' ? record.tags : {}) as Record<string, unknown>;
  return {
    id: entityId(record, 'a stored data'),
    name: String(record.name ?? ''),
    status: statusOf(record.status, STORED_DATA_STATUSES),
    tags: Object.fromEntries(Object.entries(tags).map(([k, v]) => [k, String(v)])),
    size: typeof record.size === 'number' ? record.size : undefined,
    srs: typeof record.srs === 'string' ? record.srs : undefined,
    tms: typeof infos.tms === 'string' ? infos.tms : undefined,
    levels: Array.isArray(infos.levels) ? infos.levels.map(String) : [],
    bbox: bboxOf(record.extent),
  };
}

/** The bounding box of a GeoJSON extent, [west, south, east, north]; the docs show lon/lat. */
function bboxOf(extent: unknown): [number, number, number, number] | undefined {
  const points: number[][] = [];
  const walk = (value: unknown) => {
    if (Array.isArray(value) && value.length >= 2 && typeof value[0] === 'number' && typeof value[1] === 'number')
      points.push(value as number[]);
    else if (Array.isArray(value)) value.forEach(walk);
  };
  walk((extent as { coordinates?: unknown })?.coordinates);
  if (points.length === 0) return undefined;
  const xs = points.map((p) => p[0]);
  const ys = points.map((p) => p[1]);
  return [Math.min(...xs), Math.min(...ys), Math.max(...xs), Math.max(...ys)];
}

export function toConfiguration(body: unknown): Configuration {
  const record = (body ?? {}) as Record<string, unknown>;
  const infos = (record.type_infos ?? {}) as { used_data?: unknown };
  return {
    id: entityId(record, 'a configuration'),
    type: String(record.type) as ServiceType,
    layerName: String(record.layer_name ?? ''),
    name: String(record.name ?? ''),
    status: statusOf(record.status, CONFIGURATION_STATUSES),
    raw: record,
    usedData: Array.isArray(infos.used_data) ? (infos.used_data as Configuration['usedData']) : [],
  };
}

export function toOffering(body: unknown): Offering {
  const record = (body ?? {}) as Record<string, unknown>;
  const urls = Array.isArray(record.urls) ? record.urls : [];
  return {
    id: entityId(record, 'an offering'),
    configurationId: (record.configuration as { _id?: string } | undefined)?._id,
    endpointId:
      (record.endpoint as { _id?: string } | undefined)?._id ?? (typeof record.endpoint === 'string' ? record.endpoint : undefined),
    type: typeof record.type === 'string' ? record.type : undefined,
    status: statusOf(record.status, OFFERING_STATUSES),
    open: typeof record.open === 'boolean' ? record.open : undefined,
    // Plain strings are accepted too (the SDK does).
    urls: urls.map((u: unknown) =>
      typeof u === 'string'
        ? { type: '', url: u }
        : { type: String((u as { type?: unknown }).type ?? ''), url: String((u as { url?: unknown }).url ?? '') },
    ),
  };
}

/** A processing's parameters, as it describes itself; none listed: nothing to check against (the server will say). */
export function toParameters(body: unknown): ProcessingParameter[] {
  const parameters = asRecord(body).parameters;
  if (!Array.isArray(parameters)) return [];
  return parameters.map((p: Record<string, unknown>) => {
    const constraints = (p.constraints ?? {}) as Record<string, unknown>;
    // The docs show `enum`; accept the other spellings a schema may use.
    const allowed = constraints.enum ?? constraints.values ?? constraints.allowed_values;
    return {
      name: String(p.name),
      mandatory: p.mandatory === true,
      defaultValue: p.default_value,
      allowed: Array.isArray(allowed) ? allowed.map(String) : undefined,
    };
  });
}

/** The datastore's endpoints: wrapped `{use, quota, endpoint: {...}}` in the datastore, bare in other lists. */
export function toEndpoints(body: unknown): Endpoint[] {
  const list = asRecord(body).endpoints;
  return (Array.isArray(list) ? list : []).map((item: Record<string, unknown>) => {
    const endpoint = (item.endpoint ?? item) as Record<string, unknown>;
    return {
      id: String(endpoint._id),
      type: String(endpoint.type ?? '').toUpperCase(),
      open: endpoint.open === true,
      use: typeof item.use === 'number' ? item.use : undefined,
      quota: typeof item.quota === 'number' ? item.quota : undefined,
    };
  });
}
