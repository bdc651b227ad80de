/**
 * Typed readers for the API's JSON: each takes an `unknown` and gives the type it names, or
 * undefined (or an empty value) when the answer holds something else. No cast: a field that is not
 * there, or not of its type, is never taken for one that is. A schema library was measured against
 * these (see docs/performance.md, "Decoding"): a dozen readers cost less in the bundle and per answer.
 */

export type JsonRecord = Readonly<Record<string, unknown>>;

const EMPTY: JsonRecord = Object.freeze({});

/** An object's fields; anything else (an array, a string, null) as an object with none. */
export function record(value: unknown): JsonRecord {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as JsonRecord) : EMPTY;
}

export function isRecord(value: unknown): value is JsonRecord {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function string(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** A string or a number as text (ids, levels); anything else as `fallback`, never `[object Object]`. */
export function text(value: unknown, fallback = ''): string {
  return typeof value === 'string' ? value : typeof value === 'number' && Number.isFinite(value) ? String(value) : fallback;
}

export function number(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/** A number, or a string that holds one (`"1024"`): sizes some servers write as text. */
export function numeric(value: unknown): number | undefined {
  if (typeof value === 'string' && value.trim() !== '') return number(Number(value));
  return number(value);
}

export function boolean(value: unknown): boolean | undefined {
  return typeof value === 'boolean' ? value : undefined;
}

export function array(value: unknown): readonly unknown[] {
  return Array.isArray(value) ? value : [];
}

/** An entity named by its id: `"abc"` or `{ _id: "abc", … }`. */
export function idOf(value: unknown): string | undefined {
  return typeof value === 'string' ? value : string(record(value)._id);
}

/** Tags as the API gives them (flat `{key: value}`), every value as text. */
export function tagMap(value: unknown): Record<string, string> {
  const tags: Record<string, string> = {};
  for (const [key, held] of Object.entries(record(value))) tags[key] = typeof held === 'string' ? held : JSON.stringify(held);
  return tags;
}

/** `value` if it is one of `allowed`. */
export function oneOf<T extends string>(value: unknown, allowed: readonly T[]): T | undefined {
  return allowed.find((one) => one === value);
}
