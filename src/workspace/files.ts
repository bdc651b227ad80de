import path from 'node:path';
import { escapeControl, FileError, InputError, list, type FileProblem } from '../shared/errors.js';
import { compareText, toSlashes } from '../shared/format.js';
import { readFile, realpath, stat } from 'node:fs/promises';
import { matchFiles, matchingFiles, type MatchedFile } from './glob.js';
import type { Shard } from '../config/types.js';

/** Remote files of an upload's data sit under this folder (docs/api.md, "Sending a file"). */
export const REMOTE_DATA_DIR = 'data';

export interface LocalFile {
  localPath: string;
  /** Path relative to the common root of the matched files, with `/` separators. */
  relativePath: string;
  /** Path inside the upload: `data/<relativePath>`. */
  remotePath: string;
  size: number;
  /** Modification time when matched: a file changed since is not sent. */
  mtimeMs: number;
}

export interface FileSet {
  /** The common root of every matched file (before sharding). */
  root: string;
  /** Files to publish in this run (this shard's), sorted by remote path. */
  files: LocalFile[];
  /** Every matched file, all shards together: what a resumed upload should hold in the end. */
  all: LocalFile[];
  /** Number of files matched before sharding. */
  matched: number;
  /** Files GDAL writes beside rasters that the patterns matched, left out (workspace-relative). */
  sideFiles: string[];
}

/**
 * What GDAL writes beside a raster: its metadata (`.aux.xml`), external overviews (`.ovr`, `.rrd`,
 * `.aux`) and masks (`.msk`). The platform takes none of them, and a `rasters/**` glob meets them.
 */
const GDAL_SIDE_FILE = /\.(aux\.xml|ovr|rrd|aux|msk)$/i;

function isGdalSideFile(file: string): boolean {
  return GDAL_SIDE_FILE.test(file);
}

/**
 * Matches the patterns (relative to `workspace`) and applies `shard`. Patterns select files only:
 * a directory that a pattern matches brings none of its content (no implicit descendants).
 */
export async function findFiles(patterns: string[], workspace: string, shard?: Shard): Promise<FileSet> {
  const found = await matchFiles(patterns.map((p) => anchor(p, workspace)).join('\n'));
  const sideFiles = found.filter(({ path: p }) => isGdalSideFile(p)).map(({ path: p }) => toSlashes(path.relative(workspace, p)));
  const regular = found.filter(({ path: p }) => !isGdalSideFile(p));
  // A CR or LF in a name would split the checksum file's line and corrupt it (docs/api.md).
  // eslint-disable-next-line no-control-regex
  const controlled = regular.filter(({ path: p }) => /[\u0000-\u001f\u007f]/.test(p));
  if (controlled.length > 0)
    throw new InputError(
      'glob',
      `matched ${controlled.length} file${controlled.length > 1 ? 's' : ''} whose name holds a control character (${list(
        controlled.map(({ path: p }) => escapeControl(path.relative(workspace, p))).sort(compareText),
        3,
      )}); rename ${controlled.length > 1 ? 'them' : 'it'}, or exclude ${controlled.length > 1 ? 'them' : 'it'} with a '!' pattern`,
    );
  await refuseOutside(regular, workspace);
  const root = commonRoot(regular.map(({ path: p }) => path.dirname(p)));
  // Every path starts with the root: a slice of the string, not path.relative's resolving of both.
  const skip = root.endsWith(path.sep) ? root.length : root.length + 1;
  const files = regular
    .map(({ path: p, size, mtimeMs }): LocalFile => {
      const relativePath = toSlashes(p.slice(skip));
      return { localPath: p, relativePath, remotePath: `${REMOTE_DATA_DIR}/${relativePath}`, size, mtimeMs };
    })
    .sort((a, b) => compareText(a.remotePath, b.remotePath));
  return {
    root,
    files: shard ? shardFiles(files, shard) : files,
    all: files,
    matched: files.length,
    sideFiles: sideFiles.sort(compareText),
  };
}

/**
 * The workspace is the boundary: a matched file reached through a link whose real path lies outside
 * it (a `.tfw` linked to a key file, a folder linked to the runner's home) is refused, naming the link
 * and where it points, before anything is read or sent.
 */
async function refuseOutside(files: MatchedFile[], workspace: string): Promise<void> {
  const linked = files.filter((f) => f.linked);
  if (linked.length === 0) return;
  const boundary = await realpath(workspace);
  const outside: FileProblem[] = [];
  for (const file of linked) {
    const real = await realpath(file.path);
    if (real !== boundary && !real.startsWith(boundary + path.sep))
      outside.push({
        kind: 'outside-workspace',
        paths: [toSlashes(path.relative(workspace, file.path))],
        problem: `a link to ${real}, outside the workspace`,
      });
  }
  if (outside.length === 0) return;
  outside.sort((a, b) => compareText(a.paths[0], b.paths[0]));
  throw new FileError(
    outside,
    `${list(
      outside.map((p) => `${p.paths[0]} (${p.problem})`),
      3,
    )}: a matched file must lie in the workspace; copy it in, or leave it out of 'glob'`,
  );
}

/**
 * The files among `paths` (absolute, such as a commit lists them) that `findFiles` would match
 * with the same patterns, GDAL's side files left out as it does.
 */
export function matchedAmong(patterns: string[], workspace: string, paths: string[]): string[] {
  return matchingFiles(patterns.map((p) => anchor(p, workspace)).join('\n'), paths).filter((p) => !isGdalSideFile(p));
}

/** Makes a workspace-relative pattern absolute, escaping glob characters in the workspace path. */
function anchor(pattern: string, workspace: string): string {
  const negated = pattern.startsWith('!');
  const body = negated ? pattern.slice(1) : pattern;
  if (path.isAbsolute(body) || body.startsWith('~')) return pattern;
  // The escaping @actions/glob applies to the cwd itself (Pattern.globEscape).
  const escaped = workspace
    .replace(/\\/g, '\\\\')
    .replace(/(\[)(?=[^/]+\])/g, '[[]')
    .replace(/\?/g, '[?]')
    .replace(/\*/g, '[*]');
  return `${negated ? '!' : ''}${path.join(escaped, body)}`;
}

/**
 * The deepest folder holding every one of `dirs` (absolute). Compares strings and never splits
 * them: the walk lists a folder's files together, so most dirs equal the previous one.
 */
export function commonRoot(dirs: string[]): string {
  if (dirs.length === 0) return '';
  let root = dirs[0];
  for (const dir of dirs) {
    while (dir !== root && !dir.startsWith(root.endsWith(path.sep) ? root : root + path.sep)) {
      const parent = path.dirname(root);
      if (parent === root) return root; // the file system's root holds everything
      root = parent;
    }
  }
  return root;
}

/**
 * The i-th of n stable parts: files are grouped so that a world file travels with its TIFF, and
 * groups go, largest first, to the lightest part. Depends only on the set of files, never on the
 * order the glob returned them, so every job of a matrix computes the same split.
 */
export function shardFiles(files: LocalFile[], shard: Shard): LocalFile[] {
  const groups = new Map<string, LocalFile[]>();
  for (const file of files) {
    const key = file.remotePath.replace(/\.(tiff?|tfw)$/i, '').toLowerCase();
    groups.set(key, [...(groups.get(key) ?? []), file]);
  }
  const ordered = [...groups.entries()]
    .map(([key, members]) => ({ key, members, bytes: members.reduce((sum, f) => sum + f.size, 0) }))
    .sort((a, b) => b.bytes - a.bytes || compareText(a.key, b.key));
  const load = new Array<number>(shard.count).fill(0);
  const count = new Array<number>(shard.count).fill(0);
  const mine: LocalFile[] = [];
  for (const group of ordered) {
    let target = 0;
    for (let i = 1; i < shard.count; i++) {
      if (load[i] < load[target] || (load[i] === load[target] && count[i] < count[target])) target = i;
    }
    load[target] += group.bytes;
    count[target] += group.members.length;
    if (target === shard.index - 1) mine.push(...group.members);
  }
  return mine.sort((a, b) => compareText(a.remotePath, b.remotePath));
}

export function totalBytes(files: ReadonlyArray<{ size: number }>): number {
  return files.reduce((sum, f) => sum + f.size, 0);
}

/** How an input that names one file of the workspace words its refusals. */
export interface NamedFileRule {
  input: string;
  maxBytes: number;
  /** After "does not exist in the workspace; ". */
  missingFix: string;
  /** After "'<path>' is not ": what the file must be. */
  tooBig: string;
}

/**
 * The file an input names (`metadata`, `thumbnail`), read whole: it must exist, lie inside the
 * workspace once its links are followed, and be a file no bigger than the rule says. Each refusal
 * is one line naming the input.
 */
export async function readNamedFile(workspace: string, relative: string, rule: NamedFileRule): Promise<Buffer> {
  let real: string;
  try {
    real = await realpath(path.resolve(workspace, relative));
  } catch {
    throw new InputError(rule.input, `'${relative}' does not exist in the workspace; ${rule.missingFix}`);
  }
  const root = await realpath(workspace);
  if (real !== root && !real.startsWith(root + path.sep))
    throw new InputError(rule.input, `'${relative}' leads outside the workspace (to ${real}); give a file of the repository`);
  const info = await stat(real);
  if (!info.isFile() || info.size > rule.maxBytes) throw new InputError(rule.input, `'${relative}' is not ${rule.tooBig}`);
  return readFile(real);
}
