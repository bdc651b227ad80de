import { InputError } from '../shared/errors.js';

/** Every input of action.yml, in one place (test/readme.test.ts checks they agree). */
export const INPUT_NAMES = [
  'datastore',
  'glob',
  'name',
  'srs',
  'description',
  'token',
  'client-id',
  'client-secret',
  'username',
  'password',
  'totp-secret',
  'api-url',
  'token-url',
  'tags',
  'if-exists',
  'upload-id',
  'close',
  'wait-for-checks',
  'checks-timeout',
  'poll-interval',
  'concurrency',
  'retries',
  'checksums',
  'if-no-files-found',
  'shard',
  'dry-run',
  'prune',
  'layer',
  'services',
  'tms',
  'compression',
  'interpolation',
  'bottom-level',
  'top-level',
  'layer-title',
  'layer-abstract',
  'public',
  'processing-timeout',
  'keep-upload',
  'update',
  'rebuild-every',
  'mask',
  'retain-uploads',
  'comment',
  'github-token',
  'datasheet',
  'metadata',
  'metadata-publish',
  'thumbnail',
] as const;

/** How the runner names an input's variable (`@actions/core`'s getInput: spaces to `_`, upper case). */
const variableOf = (name: string) => `INPUT_${name.replace(/ /g, '_').toUpperCase()}`;

/**
 * An `INPUT_*` variable that names no input of the action: a typo in `with:` (`dry_run` for
 * `dry-run`) that the runner only warns about, and that would publish for real. Refused before
 * anything is sent, with the near name when there is one.
 */
export function refuseUnknownInputs(env: Readonly<Record<string, string | undefined>>): void {
  const known = new Map(INPUT_NAMES.map((name) => [variableOf(name), name]));
  const unknown = Object.keys(env)
    .filter((key) => key.startsWith('INPUT_') && !known.has(key))
    .map((key) => key.slice('INPUT_'.length).toLowerCase())
    .sort();
  if (unknown.length === 0) return;
  const [first] = unknown;
  const near = nearest(first);
  const more = unknown.length > 1 ? ` (and ${unknown.slice(1).join(', ')})` : '';
  throw new InputError(
    first,
    `is not an input of this action${more}; ${near ? `did you mean ${near}?` : 'see the README for the inputs'} A misspelt input is ignored by the runner, so the step stops here`,
  );
}

/** The input `name` most likely stands for: the same once `_` and `-` are alike, or one or two letters away. */
function nearest(name: string): string | undefined {
  const plain = (s: string) => s.replace(/[_\s]/g, '-').toLowerCase();
  const same = INPUT_NAMES.find((known) => plain(known) === plain(name));
  if (same) return same;
  let best: { name: string; distance: number } | undefined;
  for (const known of INPUT_NAMES) {
    const distance = editDistance(plain(name), known);
    if (distance <= 2 && (!best || distance < best.distance)) best = { name: known, distance };
  }
  return best?.name;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++)
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    previous = current;
  }
  return previous[b.length];
}
