import { InputError } from '../shared/errors.js';
import { RESERVED_TAG_KEYS } from '../shared/provenance.js';
import type { Shard } from './types.js';

const TAG_KEY_PATTERN = /^[A-Za-z0-9_.:-]+$/;

/**
 * One input's value: each parser refuses a bad value with an InputError that names the input, says
 * what is wrong and gives a valid example (the contract's one-line errors), before anything is sent.
 */

export function url(input: string, value: string): string {
  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch {
    throw new InputError(input, `'${value}' is not a URL; for example https://data.geopf.fr/api`);
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:')
    throw new InputError(input, `'${value}' must be an http(s) URL; for example https://data.geopf.fr/api`);
  if (parsed.username || parsed.password) throw new InputError(input, 'must not carry credentials; use the authentication inputs');
  return value.replace(/\/+$/, '');
}

export function tags(text: string): Record<string, string> {
  const result: Record<string, string> = {};
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    const key = eq < 0 ? '' : line.slice(0, eq).trim();
    if (!key || !TAG_KEY_PATTERN.test(key))
      throw new InputError('tags', `'${line}' is not key=value; write one tag per line, for example datasheet_name=ortho-2024`);
    if (RESERVED_TAG_KEYS.includes(key)) throw new InputError('tags', `'${key}' is set by the action itself; choose another key`);
    result[key] = line.slice(eq + 1).trim();
  }
  return result;
}

export function oneOf<T extends string>(input: string, value: string, allowed: readonly T[]): T {
  const lower = value.toLowerCase();
  if (!(allowed as readonly string[]).includes(lower))
    throw new InputError(input, `'${value}' is not one of ${allowed.join(', ')}; for example ${input}: ${allowed[0]}`);
  return lower as T;
}

export function bool(input: string, value: string, fallback: boolean): boolean {
  if (value === '') return fallback;
  // The YAML 1.2 core schema booleans, as core.getBooleanInput accepts them.
  if (['true', 'True', 'TRUE'].includes(value)) return true;
  if (['false', 'False', 'FALSE'].includes(value)) return false;
  throw new InputError(input, `'${value}' is not a boolean; write true or false`);
}

export function positiveNumber(input: string, value: string, fallback: number, max: number, example: string): number {
  if (value === '') return fallback;
  const number = Number(value);
  if (!/^\d*\.?\d+$/.test(value) || !Number.isFinite(number) || number <= 0 || number > max)
    throw new InputError(input, `'${value}' is not a positive number up to ${max}; for example ${input}: ${example}`);
  return number;
}

/**
 * A secret as the log could show it: raw, and in each encoding it is sent in (form-encoded in a
 * token request, percent-encoded, JSON-escaped), so that an endpoint echoing it is masked too.
 */
export function secretShapes(secret: string): string[] {
  const shapes = new Set([
    secret,
    new URLSearchParams({ s: secret }).toString().slice(2),
    encodeURIComponent(secret),
    JSON.stringify(secret).slice(1, -1),
  ]);
  return [...shapes].filter((shape) => shape.length > 0);
}

export function integer(input: string, value: string, fallback: number, min: number, max: number): number {
  if (value === '') return fallback;
  const number = Number(value);
  if (!/^\d+$/.test(value) || number < min || number > max)
    throw new InputError(input, `'${value}' is not a whole number from ${min} to ${max}; for example ${input}: ${fallback}`);
  return number;
}

export function services(value: string): Array<'wmts' | 'wms'> {
  const names = (value || 'wmts')
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean);
  if (names.length === 0 || names.some((n) => n !== 'wmts' && n !== 'wms') || new Set(names).size !== names.length)
    throw new InputError('services', `'${value}' is not wmts, wms or wmts,wms; for example services: wmts,wms`);
  return names as Array<'wmts' | 'wms'>;
}

/** A tile matrix set's name; the processing says at run time which ones it takes. */
export function tms(value: string): string {
  const name = value || 'PM';
  if (!/^[A-Za-z0-9_]+$/.test(name)) throw new InputError('tms', `'${name}' is not a tile matrix set name; for example tms: PM`);
  return name;
}

export function shard(value: string): Shard | undefined {
  if (value === '') return undefined;
  const match = /^(\d+)\s*\/\s*(\d+)$/.exec(value);
  const index = match ? Number(match[1]) : 0;
  const count = match ? Number(match[2]) : 0;
  if (!match || count < 1 || index < 1 || index > count)
    throw new InputError('shard', `'${value}' is not i/n with 1 <= i <= n; for example shard: 2/4 (the second of four parts)`);
  return { index, count };
}
