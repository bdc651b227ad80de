/**
 * How the API answers a list route: a page of items with `Content-Range`, each item reduced to its
 * list DTO's base fields (docs/api.md, "List items"; IGN's change note of 2024-11-25 on `fields`,
 * and the list DTOs of the OpenAPI types the portal generates). Details stay whole. An emulator
 * that answered lists with whole objects would hide every client decision made on a field the real
 * list does not carry.
 */

/** The base fields of each list DTO. `srs` is optional in the upload and stored-data lists. */
export const LIST_FIELDS = {
  /** UploadListResponseDto */
  uploads: ['_id', 'name', 'description', 'type', 'status', 'visibility', 'srs'],
  /** StoredDataListResponseDto: no status, no tags. */
  storedData: ['_id', 'name', 'type', 'visibility', 'srs'],
  /** ProcessingListResponseDto */
  processings: ['_id', 'name', 'description'],
  /** ProcessingExecutionListResponseDto */
  executions: ['_id', 'processing', 'status'],
  /** CheckingExecutionListResponseDto (also the items of an upload's check lists) */
  checkExecutions: ['_id', 'check', 'status'],
  /** ConfigurationListResponseDto: no type_infos (used data). */
  configurations: ['_id', 'name', 'layer_name', 'type', 'status'],
  /** OfferingListResponseDto: no endpoint, no urls. */
  offerings: ['_id', 'layer_name', 'type', 'status', 'open', 'available', 'visibility'],
} as const;

export type ListKind = keyof typeof LIST_FIELDS;

/**
 * - `base`: as the API does: the base fields, or with `fields=` exactly the fields named plus `_id`.
 * - `ignore-fields`: the base fields whatever `fields` asks (a server that ignores it).
 * - `whole`: whole objects, for debugging only: it hides the bugs this module exists to show.
 */
export type ListMode = 'base' | 'ignore-fields' | 'whole';

/** The fields a request names: `fields=a,b` (the portal) or `fields=a&fields=b` (QGIS). */
export function requestedFields(query: URLSearchParams): string[] {
  return query
    .getAll('fields')
    .flatMap((value) => value.split(','))
    .map((field) => field.trim())
    .filter(Boolean);
}

/** `whole` as a list item of `kind` would show it. */
export function listItem(whole: Record<string, unknown>, kind: ListKind, query: URLSearchParams, mode: ListMode): Record<string, unknown> {
  if (mode === 'whole') return whole;
  const asked = mode === 'base' ? requestedFields(query) : [];
  const keys = asked.length ? ['_id', ...asked] : LIST_FIELDS[kind];
  const item: Record<string, unknown> = {};
  for (const key of keys) if (whole[key] !== undefined) item[key] = whole[key];
  return item;
}

export interface PagingVariant {
  /** Answer every item at once, without `Content-Range`. */
  ignorePaging?: boolean;
  /** Honour `limit` but not `page`: every page is the first, without `Content-Range`. */
  ignorePage?: boolean;
}

/** One page of `all` as the API answers it: 206 for a part, `Content-Range: first-last/total`. */
export function pageOf<T>(
  all: T[],
  query: URLSearchParams,
  variant: PagingVariant,
  defaultLimit = 10,
): { status: number; items: T[]; contentRange?: string } {
  if (variant.ignorePaging) return { status: 200, items: all };
  const page = variant.ignorePage ? 1 : Math.max(1, Number(query.get('page') ?? 1) || 1);
  const limit = Math.min(100, Math.max(1, Number(query.get('limit') ?? defaultLimit) || defaultLimit));
  const first = (page - 1) * limit;
  const items = all.slice(first, first + limit);
  const status = all.length > items.length ? 206 : 200;
  if (variant.ignorePage) return { status, items };
  return { status, items, contentRange: items.length ? `${first}-${first + items.length - 1}/${all.length}` : `*/${all.length}` };
}

/** The `tags[key]=value` filters of a list's query, as [key, value] pairs (an exact match each). */
export function tagFilters(query: URLSearchParams): Array<readonly [string, string]> {
  return [...query.entries()].flatMap(([k, v]) => {
    const m = /^tags\[(.+)\]$/.exec(k);
    return m ? [[m[1], v] as const] : [];
  });
}
