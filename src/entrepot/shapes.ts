import { BadResponseError } from '../shared/errors.js';
import { array, boolean, idOf, isRecord, number, numeric, oneOf, record, string, tagMap, text, type JsonRecord } from './json.js';
import {
  CONFIGURATION_STATUSES,
  EXECUTION_STATUSES,
  OFFERING_STATUSES,
  statusOf,
  STORED_DATA_STATUSES,
  UPLOAD_STATUSES,
} from './status.js';
import { describeJson, entityId } from './transport.js';
import {
  SERVICE_TYPES,
  type CheckExecution,
  type CheckStatus,
  type Configuration,
  type Endpoint,
  type Offering,
  type ProcessingParameter,
  type PyramidExecution,
  type RemoteTree,
  type StoredData,
  type Upload,
  type UsedData,
} from './types.js';

/**
 * What the API's JSON means to the action: each entity read from its detail (or a list item, for
 * what a list carries: docs/api.md, "List items"), leniently where servers vary, strictly where a
 * value decides something (an entity without an id is not one). Every field goes through a typed
 * reader (json.ts): a field that is absent, or of another type, reads undefined, never a guess.
 */

export function flattenTree(body: unknown, prefix = ''): RemoteTree {
  if (!Array.isArray(body))
    throw new BadResponseError('GET', '…/tree', `the answer is ${describeJson(body)}, not the list the API returns`);
  const tree: RemoteTree = new Map();
  const walk = (nodes: unknown, at: string) => {
    for (const value of array(nodes)) {
      const node = record(value);
      const name = string(node.name);
      if (!name) continue;
      const here = at ? `${at}/${name}` : name;
      if (text(node.type).toUpperCase() === 'DIRECTORY' || Array.isArray(node.children)) walk(node.children, here);
      else tree.set(here, numeric(node.size) ?? NaN);
    }
  };
  walk(body, prefix);
  return tree;
}

/** An upload from the API's JSON; an answer without an id is not one. */
export function toUpload(item: unknown, method: string, route: string): Upload {
  const fields = record(item);
  const id = string(fields._id) ?? string(fields.id);
  if (!id) throw new BadResponseError(method, route, `the answer is not an upload (no _id): ${JSON.stringify(item)?.slice(0, 80)}`);
  const rawStatus = typeof fields.status === 'string' ? fields.status.toUpperCase() : text(fields.status, String(fields.status));
  return {
    id,
    name: string(fields.name) ?? '',
    status: statusOf(rawStatus, UPLOAD_STATUSES),
    rawStatus,
    srs: string(fields.srs),
    type: string(fields.type),
    size: number(fields.size),
    tags: tagMap(fields.tags),
    lastEventDate: string(record(fields.last_event).date) ?? string(fields.creation),
  };
}

/** The most recently active of `uploads`. */
export function newest(uploads: Upload[]): Upload | undefined {
  return [...uploads].sort((a, b) => (b.lastEventDate ?? '').localeCompare(a.lastEventDate ?? ''))[0];
}

export function toCheckExecution(item: unknown, status: CheckStatus): CheckExecution {
  const fields = record(item);
  const check = record(fields.check);
  const id = text(fields._id ?? fields.id);
  return { id, name: text(check.name ?? fields.name ?? check._id, id), status };
}

export function toPyramidExecution(body: unknown): PyramidExecution {
  const fields = record(body);
  const output = idOf(record(fields.output).stored_data);
  return {
    id: entityId(fields, 'an execution'),
    status: statusOf(fields.status, EXECUTION_STATUSES),
    storedDataId: output,
    uploadIds: array(record(fields.inputs).upload).flatMap((u) => idOf(u) ?? []),
    inputStoredDataIds: array(record(fields.inputs).stored_data).flatMap((s) => idOf(s) ?? []),
    parameters: isRecord(fields.parameters) ? fields.parameters : undefined,
  };
}

export function toStoredData(body: unknown): StoredData {
  const fields = record(body);
  const infos = record(fields.type_infos);
  return {
    id: entityId(fields, 'a stored data'),
    name: text(fields.name),
    status: statusOf(fields.status, STORED_DATA_STATUSES),
    tags: tagMap(fields.tags),
    size: number(fields.size),
    srs: string(fields.srs),
    tms: string(infos.tms),
    compression: string(infos.compression),
    levels: array(infos.levels).flatMap((level) => {
      const id = text(level);
      return id ? [id] : [];
    }),
    hasTypeInfos: isRecord(fields.type_infos),
    bbox: bboxOf(fields.extent),
  };
}

/** The bounding box of a GeoJSON extent, [west, south, east, north]; the docs show lon/lat. */
function bboxOf(extent: unknown): [number, number, number, number] | undefined {
  const box = [Infinity, Infinity, -Infinity, -Infinity];
  // A loop, not Math.min(...): an extent of 200,000 points must not overflow the stack.
  const walk = (value: unknown) => {
    const point = array(value);
    const [x, y] = point;
    if (typeof x === 'number' && typeof y === 'number') {
      box[0] = Math.min(box[0], x);
      box[1] = Math.min(box[1], y);
      box[2] = Math.max(box[2], x);
      box[3] = Math.max(box[3], y);
    } else for (const inner of point) walk(inner);
  };
  walk(record(extent).coordinates);
  return Number.isFinite(box[0]) ? [box[0], box[1], box[2], box[3]] : undefined;
}

export function toConfiguration(body: unknown): Configuration {
  const fields = record(body);
  const infos = record(fields.type_infos);
  return {
    id: entityId(fields, 'a configuration'),
    type: oneOf(fields.type, SERVICE_TYPES),
    layerName: text(fields.layer_name),
    name: text(fields.name),
    status: statusOf(fields.status, CONFIGURATION_STATUSES),
    raw: fields,
    usedData: array(infos.used_data).flatMap((used): UsedData[] => {
      const entry = record(used);
      const storedData = idOf(entry.stored_data);
      return storedData ? [{ stored_data: storedData, bottom_level: text(entry.bottom_level), top_level: text(entry.top_level) }] : [];
    }),
    update: string(fields.update),
    tags: tagMap(fields.tags),
  };
}

export function toOffering(body: unknown): Offering {
  const fields = record(body);
  return {
    id: entityId(fields, 'an offering'),
    configurationId: idOf(fields.configuration),
    endpointId: idOf(fields.endpoint),
    type: string(fields.type),
    status: statusOf(fields.status, OFFERING_STATUSES),
    open: boolean(fields.open),
    // Plain strings are accepted too (the SDK does).
    urls: array(fields.urls).map((u) =>
      typeof u === 'string' ? { type: '', url: u } : { type: text(record(u).type), url: text(record(u).url) },
    ),
    update: string(fields.update),
  };
}

/** A processing's parameters, as it describes itself; none listed: nothing to check against (the server will say). */
export function toParameters(body: unknown): ProcessingParameter[] {
  return array(record(body).parameters).map((value) => {
    const parameter = record(value);
    const constraints = record(parameter.constraints);
    // The docs show `enum`; accept the other spellings a schema may use.
    const allowed = constraints.enum ?? constraints.values ?? constraints.allowed_values;
    return {
      name: text(parameter.name),
      mandatory: parameter.mandatory === true,
      defaultValue: parameter.default_value,
      allowed: Array.isArray(allowed) ? allowed.map((a) => text(a, JSON.stringify(a))) : undefined,
      type: string(parameter.type) ?? string(constraints.type),
    };
  });
}

/** The datastore's endpoints: wrapped `{use, quota, endpoint: {...}}` in the datastore, bare in other lists. */
export function toEndpoints(body: unknown): Endpoint[] {
  return array(record(body).endpoints).flatMap((value) => {
    const item = record(value);
    const endpoint: JsonRecord = isRecord(item.endpoint) ? item.endpoint : item;
    const id = string(endpoint._id);
    if (!id) return [];
    return [
      {
        id,
        type: text(endpoint.type).toUpperCase(),
        open: endpoint.open === true,
        urls: array(endpoint.urls).flatMap((u) => {
          const [type, url] = [string(record(u).type), string(record(u).url)];
          return type && url ? [{ type: type.toUpperCase(), url }] : [];
        }),
        use: number(item.use),
        quota: number(item.quota),
      },
    ];
  });
}

/** `{used_by: [{_id, name}], use: [...]}` (docs/api.md, "Layers"); ids alone are accepted too. */
export function toDependencies(body: unknown): { usedBy: string[]; uses: string[] } {
  const fields = record(body);
  const ids = (value: unknown) => array(value).flatMap((v) => idOf(v) ?? []);
  return { usedBy: ids(fields.used_by), uses: ids(fields.use) };
}
