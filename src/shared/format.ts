import path from 'node:path';

/** Sizes for people: 1000-based units, as disks and networks count them. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${unit === 0 ? Math.round(value) : value.toFixed(1)} ${units[unit]}`;
}

/** A body as one line of plain text: a gateway's HTML page without its tags. */
export function plainText(body: string): string {
  return body
    .replace(/<[^>]*>/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

/**
 * Durations for people: `300 ms` (with `smallest: 'ms'`), `0.8 s`, `42 s`, `3 min`, `2 min 5 s`.
 * Deadlines set in seconds read best in seconds; a request's own timers in milliseconds.
 */
export function formatDuration(ms: number, smallest: 'ms' | 's' = 's'): string {
  if (smallest === 'ms' && ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${Number((ms / 1000).toFixed(1))} s`;
  const minutes = Math.floor(ms / 60_000);
  const seconds = Math.round((ms % 60_000) / 1000);
  return seconds ? `${minutes} min ${seconds} s` : `${minutes} min`;
}

/** A path relative to `from`, with `/` whatever the platform: as the repository and the upload name files. */
export function slashRelative(from: string, to: string): string {
  const relative = path.relative(from, to);
  return path.sep === '/' ? relative : relative.split(path.sep).join('/');
}

/** A path with `/` whatever the platform. */
export function toSlashes(native: string): string {
  return path.sep === '/' ? native : native.split(path.sep).join('/');
}

/** Orders text by UTF-16 code units, the same on every machine and locale: for lists users read. */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
