import { isSystemError } from '../shared/errors.js';
import type { Dirent } from 'node:fs';
import { lstat, readdir, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
// @actions/glob's own pattern class and matching, vendored (src/vendor/actions-glob/README.md), so
// every rule is the same as its Globber's (`**`, `!`, `~`, escapes, trailing separators). Its
// package exports only the Globber, whose walk stats every entry it meets and makes several
// promises per entry: 35 MiB of peak at 20,000 files against 12 MiB for this walk
// (docs/performance.md, "Memory against the number of files"); test/glob.test.ts compares them.
import { MatchKind } from './vendor/actions-glob/internal-match-kind.js';
import { getSearchPaths, match, partialMatch } from './vendor/actions-glob/internal-pattern-helper.js';
import { Pattern } from './vendor/actions-glob/internal-pattern.js';
import { forEachLimited } from '../shared/pool.js';

/** Files stat'ed at once: enough to keep the disk busy, few enough to keep the memory flat. */
const STAT_CONCURRENCY = 64;

/** A regular file that the patterns matched, as it was when matched. */
export interface MatchedFile {
  path: string;
  size: number;
  mtimeMs: number;
  /** Reached through a symbolic link (the file's own, or a folder's above it): its real path may lie elsewhere. */
  linked: boolean;
}

/**
 * The regular files that @actions/glob patterns (one per line, `#` comments, `!` negations) match,
 * with `matchDirectories: false`, `implicitDescendants: false` and symbolic links followed (with
 * cycles and broken links skipped, as @actions/glob does). One walk: directories are read with
 * their entries' types, and only the files that match are stat'ed, for their size and time.
 */
export async function matchFiles(patternLines: string): Promise<MatchedFile[]> {
  const patterns = parse(patternLines);
  const found: MatchedFile[] = [];
  for (const searchPath of getSearchPaths(patterns)) {
    try {
      await lstat(searchPath);
    } catch (error) {
      if (isSystemError(error) && error.code === 'ENOENT') continue;
      throw error;
    }
    // A search path that is, or lies under, a link: what it reaches may lie elsewhere.
    const viaLink = await realpath(searchPath).then(
      (real) => real !== path.resolve(searchPath),
      () => true,
    );
    await visit(searchPath, patterns, [], found, undefined, viaLink);
  }
  return found;
}

/**
 * Which of `files` (absolute paths of files, such as a commit lists) the patterns match, by the
 * walk's rule for a file; nothing is read from the disk.
 */
export function matchingFiles(patternLines: string, files: string[]): string[] {
  const patterns = parse(patternLines);
  return files.filter((file) => match(patterns, file) & MatchKind.File);
}

function parse(patternLines: string): Pattern[] {
  const patterns: Pattern[] = [];
  for (const line of patternLines.split('\n').map((x) => x.trim())) if (line && !line.startsWith('#')) patterns.push(new Pattern(line));
  return patterns;
}

/** One path: a file is kept when it matches; a directory is read when something below may match. */
async function visit(
  item: string,
  patterns: Pattern[],
  ancestors: string[],
  found: MatchedFile[],
  entry: Dirent | undefined,
  viaLink: boolean,
): Promise<void> {
  const matched = match(patterns, item);
  if (!matched && !partialMatch(patterns, item)) return;
  const linked = viaLink || entry?.isSymbolicLink() === true;
  // A directory entry's type comes with the listing; a link (or the search path) needs a stat.
  const isDirectory = entry && !entry.isSymbolicLink() ? entry.isDirectory() : await isDirectoryFollowed(item);
  if (isDirectory === undefined) return; // a broken link, or gone since it was listed
  if (!isDirectory) {
    if (matched & MatchKind.File) await keepIfFile(item, found, linked);
    return;
  }
  // A link back to a directory being walked would loop forever.
  const real = await realpath(item);
  if (ancestors.includes(real)) return;
  const entries = await readdir(item, { withFileTypes: true });
  const files: string[] = [];
  const inner = [...ancestors, real];
  for (const child of entries) {
    const childPath = path.join(item, child.name);
    if (child.isDirectory() || child.isSymbolicLink()) await visit(childPath, patterns, inner, found, child, linked);
    else if (match(patterns, childPath) & MatchKind.File) files.push(childPath);
  }
  await forEachLimited(files, STAT_CONCURRENCY, (file) => keepIfFile(file, found, linked));
}

async function isDirectoryFollowed(item: string): Promise<boolean | undefined> {
  try {
    return (await stat(item)).isDirectory();
  } catch (error) {
    if (isSystemError(error) && error.code === 'ENOENT') return undefined;
    throw error;
  }
}

/** Regular files only (a FIFO or a socket is not a raster); one gone since the listing is skipped. */
async function keepIfFile(file: string, found: MatchedFile[], linked: boolean): Promise<void> {
  try {
    const s = await stat(file);
    if (s.isFile()) found.push({ path: file, size: s.size, mtimeMs: s.mtimeMs, linked });
  } catch (error) {
    if (!isSystemError(error) || error.code !== 'ENOENT') throw error;
  }
}
