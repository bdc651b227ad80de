import { realpath } from 'node:fs/promises';
import path from 'node:path';
import { GitError } from '../shared/errors.js';
import { slashRelative } from '../shared/format.js';
import { matchedAmong, type LocalFile } from './files.js';
import { git, networkGitTimeoutMs } from './git.js';
import { groundReader } from './ground.js';

/**
 * What changed since the commit a live pyramid reflects, read from git, the source of truth of a
 * repository that publishes on merge: how the two commits relate (never move a layer backwards),
 * the files the patterns match at that commit against those they match now, compared by blob id
 * (a Git LFS file's pointer blob stands for its content), whether a modified raster's ground moved,
 * and the matched paths git cannot follow (a submodule, a symlink). A file untracked or modified in
 * the worktree counts as changed. Git itself does the reading, its values fenced.
 */

/** How the run's commit relates to the live one: `forward` when the live one is its ancestor. */
export type Ancestry = 'same' | 'forward' | 'backward' | 'unrelated';

export interface Changes {
  /** The commit the live pyramid reflects. */
  since: string;
  /** Matched now, not then. */
  added: LocalFile[];
  /** Matched then and now, with another blob (or changed in the worktree). */
  modified: LocalFile[];
  /** Matched then, not now (deleted, renamed away, or no longer matched): repository paths. */
  deleted: string[];
  /** Modified rasters (or their world files) whose ground moved, each with why. */
  moved: Array<{ path: string; why: string }>;
  /** Matched paths under a submodule or a symlink, in either commit: git cannot say what changed there. */
  opaque: string[];
  /** Modified Git LFS rasters whose ground was not compared (a dry run downloads no content). */
  uncompared: number;
}

export type ChangeReading = { ok: true; ancestry: Ancestry; changes: Changes } | { ok: false; why: string };

export interface ChangeOptions {
  signal?: AbortSignal;
  /** Whether Git LFS content may be downloaded to compare a modified raster's ground. */
  readLfs: boolean;
}

/** A full commit id (SHA-1 or SHA-256); anything else from a tag is not one. */
export const COMMIT_ID = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;

interface TreeEntry {
  mode: string;
  type: string;
  id: string;
}

export async function changesSince(
  since: string,
  workspace: string,
  patterns: string[],
  files: LocalFile[],
  options: ChangeOptions,
): Promise<ChangeReading> {
  if (!COMMIT_ID.test(since)) return { ok: false, why: 'the live pyramid names no valid commit id' };
  const top = await repositoryTop(workspace, options.signal);
  if (typeof top !== 'string') return top;
  const short = since.slice(0, 7);
  if (!(await hasCommit(top, since, options.signal))) {
    // A shallow checkout (actions/checkout's default) lacks the commit: fetch it alone, the id fenced.
    const fetch = ['fetch', '--quiet', '--depth=1', '--end-of-options', 'origin', since];
    await git(top, fetch, { signal: options.signal, timeoutMs: networkGitTimeoutMs() }).catch(onlyGitFailure);
    if (!(await hasCommit(top, since, options.signal)))
      return { ok: false, why: `commit ${short} of the live pyramid cannot be read, even fetched alone` };
  }
  const ancestry = await ancestryOf(top, since, options.signal);
  const [then, now, dirty] = await Promise.all([tree(top, since, options.signal), tree(top, 'HEAD', options.signal), worktreeChanges(top)]);
  const changes = await compare(workspace, top, patterns, files, { since, then, now, dirty }, options);
  return { ok: true, ancestry, changes };
}

/**
 * How the checked-out commit relates to `since` (another entity's commit: the metadata record's),
 * fetching `since` alone when a shallow checkout lacks it; undefined when git cannot tell.
 */
export async function ancestrySince(since: string, workspace: string, signal?: AbortSignal): Promise<Ancestry | undefined> {
  if (!COMMIT_ID.test(since)) return undefined;
  const top = await repositoryTop(workspace, signal);
  if (typeof top !== 'string') return undefined;
  if (!(await hasCommit(top, since, signal))) {
    const fetch = ['fetch', '--quiet', '--depth=1', '--end-of-options', 'origin', since];
    await git(top, fetch, { signal, timeoutMs: networkGitTimeoutMs() }).catch(onlyGitFailure);
    if (!(await hasCommit(top, since, signal))) return undefined;
  }
  return ancestryOf(top, since, signal);
}

async function repositoryTop(workspace: string, signal?: AbortSignal): Promise<string | { ok: false; why: string }> {
  try {
    return (await git(workspace, ['rev-parse', '--show-toplevel'], { signal })).trim();
  } catch (error) {
    if (error instanceof GitError && error.kind === 'missing') return { ok: false, why: error.reason };
    onlyGitFailure(error);
    return { ok: false, why: 'the workspace is not a git repository' };
  }
}

async function compare(
  workspace: string,
  top: string,
  patterns: string[],
  files: LocalFile[],
  commits: { since: string; then: Map<string, TreeEntry>; now: Map<string, TreeEntry>; dirty: Set<string> },
  options: ChangeOptions,
): Promise<Changes> {
  const { since, then, now, dirty } = commits;
  // Where the workspace sits in the repository (git answers with real paths, the files have the workspace's).
  const inRepo = slashRelative(top, await realpath(workspace));
  const toRepo = (file: string) => path.posix.join(inRepo, slashRelative(workspace, file));
  const blobsThen = [...then].filter(([p, e]) => e.type === 'blob' && (!inRepo || p.startsWith(`${inRepo}/`))).map(([p]) => p);
  const matchedThen = new Set(
    matchedAmong(
      patterns,
      workspace,
      blobsThen.map((p) => path.join(workspace, path.posix.relative(inRepo, p))),
    ).map(toRepo),
  );
  const changes: Changes = { since, added: [], modified: [], deleted: [], moved: [], opaque: [], uncompared: 0 };
  const matchedNow = new Set<string>();
  for (const file of files) {
    const rel = toRepo(file.localPath);
    matchedNow.add(rel);
    if (!matchedThen.has(rel)) changes.added.push(file);
    else if (dirty.has(rel) || now.get(rel)?.id !== then.get(rel)?.id) changes.modified.push(file);
  }
  for (const rel of matchedThen) if (!matchedNow.has(rel)) changes.deleted.push(rel);
  changes.opaque = opaquePaths([...matchedThen, ...matchedNow], [then, now]);
  await findMovedGround(top, changes, { then, now, toRepo }, options);
  return changes;
}

/** Matched paths that lie at or under a submodule (a `commit` entry) or a symlink (mode 120000) of either tree. */
function opaquePaths(paths: string[], trees: Array<Map<string, TreeEntry>>): string[] {
  const opaque = new Set<string>();
  for (const entries of trees)
    for (const [p, e] of entries)
      if (e.type === 'commit' || e.mode === '120000') for (const m of paths) if (m === p || m.startsWith(`${p}/`)) opaque.add(m);
  return [...opaque].sort();
}

/** A world file that changed, or a modified raster whose header says other ground, moves the ground. */
async function findMovedGround(
  top: string,
  changes: Changes,
  trees: { then: Map<string, TreeEntry>; now: Map<string, TreeEntry>; toRepo: (file: string) => string },
  options: ChangeOptions,
): Promise<void> {
  const isWorldFile = (p: string) => /\.tfw$/i.test(p);
  for (const p of changes.deleted) if (isWorldFile(p)) changes.moved.push({ path: p, why: 'its world file was deleted' });
  const stemsThen = new Set([...trees.then.keys()].map((p) => p.replace(/\.[^./]+$/, '').toLowerCase()));
  for (const file of changes.added) {
    const rel = trees.toRepo(file.localPath);
    if (isWorldFile(rel) && stemsThen.has(rel.replace(/\.[^./]+$/, '').toLowerCase()))
      changes.moved.push({ path: rel, why: 'a world file now georeferences it' });
  }
  const rasters = changes.modified.filter((f) => !isWorldFile(f.localPath));
  for (const f of changes.modified)
    if (isWorldFile(f.localPath)) changes.moved.push({ path: trees.toRepo(f.localPath), why: 'its world file changed' });
  if (rasters.length === 0) return;
  const reader = await groundReader(top, options);
  try {
    for (const file of rasters) {
      const rel = trees.toRepo(file.localPath);
      const before = trees.then.get(rel)?.id;
      if (!before) continue;
      const { verdict, why } = await reader.compare(rel, before, file.localPath, trees.now.get(rel)?.id);
      if (verdict === 'moved') changes.moved.push({ path: rel, why: why ?? 'its ground moved' });
      else if (verdict === 'uncompared') changes.uncompared++;
    }
  } finally {
    await reader.dispose();
  }
}

async function hasCommit(top: string, sha: string, signal?: AbortSignal): Promise<boolean> {
  return git(top, ['cat-file', '-e', '--end-of-options', `${sha}^{commit}`], { signal }).then(
    () => true,
    (error: unknown) => onlyGitFailure(error) ?? false,
  );
}

/** `git merge-base --is-ancestor` both ways (exit 0: yes, 1: no). */
async function ancestryOf(top: string, since: string, signal?: AbortSignal): Promise<Ancestry> {
  const head = (await git(top, ['rev-parse', '--verify', 'HEAD^{commit}'], { signal })).trim();
  if (head === since) return 'same';
  const isAncestor = (a: string, b: string) =>
    git(top, ['merge-base', '--is-ancestor', '--end-of-options', a, b], { signal }).then(
      () => true,
      (error: unknown) => onlyGitFailure(error) ?? false,
    );
  if (await isAncestor(since, head)) return 'forward';
  if (await isAncestor(head, since)) return 'backward';
  return 'unrelated';
}

/** Repository path → entry of every file of `treeish` (`<mode> <type> <id>\t<path>\0`), submodules and links included. */
async function tree(top: string, treeish: string, signal?: AbortSignal): Promise<Map<string, TreeEntry>> {
  const out = await git(top, ['ls-tree', '-r', '-z', '--full-tree', '--end-of-options', treeish], { signal });
  const map = new Map<string, TreeEntry>();
  for (const entry of out.split('\0')) {
    const tab = entry.indexOf('\t');
    if (tab < 0) continue;
    const [mode, type, id] = entry.slice(0, tab).split(' ');
    map.set(entry.slice(tab + 1), { mode, type, id });
  }
  return map;
}

/** Paths changed in the worktree or the index, or untracked: they count as changed. */
async function worktreeChanges(top: string): Promise<Set<string>> {
  const out = await git(top, ['status', '--porcelain=v1', '-z', '--untracked-files=all']);
  const paths = new Set<string>();
  const entries = out.split('\0');
  for (let i = 0; i < entries.length; i++) {
    const entry = entries[i];
    if (entry.length < 4) continue;
    paths.add(entry.slice(3));
    // A rename or copy is followed by its source path.
    if (entry[0] === 'R' || entry[0] === 'C') paths.add(entries[++i]);
  }
  return paths;
}

/** Only git's own failure means "no such commit": a cancel, a deadline or a bug goes on up. */
function onlyGitFailure(error: unknown): undefined {
  if (!(error instanceof GitError)) throw error;
  return undefined;
}
