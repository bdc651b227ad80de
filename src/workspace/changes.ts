import { slashRelative } from '../shared/format.js';
import { realpath } from 'node:fs/promises';
import path from 'node:path';
import { git } from './git.js';
import { matchedAmong, type LocalFile } from './files.js';

/**
 * What changed since the commit a live pyramid reflects, read from git, the source of truth of a
 * repository that publishes on merge: the files the patterns match at that commit against those
 * they match now, compared by blob id (a Git LFS file's pointer blob stands for its content, so a
 * content change is seen without the content). A file untracked or modified in the worktree counts
 * as changed. Git itself does the reading (`git ls-tree -r -z`, `git status -z`), not a copy of it.
 */

export interface Changes {
  /** The commit the live pyramid reflects. */
  since: string;
  /** Matched now, not then. */
  added: LocalFile[];
  /** Matched then and now, with another blob (or changed in the worktree). */
  modified: LocalFile[];
  /** Matched then, not now (deleted, renamed away, or no longer matched): repository paths. */
  deleted: string[];
}

export type ChangeReading = { ok: true; changes: Changes } | { ok: false; why: string };

export async function changesSince(since: string, workspace: string, patterns: string[], files: LocalFile[]): Promise<ChangeReading> {
  const top = await git(workspace, ['rev-parse', '--show-toplevel']).then(
    (out) => out.trim(),
    () => undefined,
  );
  if (!top) return { ok: false, why: 'the workspace is not a git repository' };
  const short = since.slice(0, 7);
  if (!(await hasCommit(top, since))) {
    // A shallow checkout (actions/checkout's default) lacks the commit: fetch it alone.
    await git(top, ['fetch', '--quiet', '--depth=1', 'origin', since]).catch(() => undefined);
    if (!(await hasCommit(top, since))) return { ok: false, why: `commit ${short} of the live pyramid cannot be read, even fetched alone` };
  }
  const [then, now, dirty] = await Promise.all([blobs(top, since), blobs(top, 'HEAD'), worktreeChanges(top)]);
  // Where the workspace sits in the repository (git answers with real paths, the files have the workspace's).
  const inRepo = slashRelative(top, await realpath(workspace));
  const toRepo = (file: string) => path.posix.join(inRepo, slashRelative(workspace, file));
  const inWorkspace = [...then.keys()].filter((p) => !inRepo || p.startsWith(`${inRepo}/`));
  const matchedThen = new Set(
    matchedAmong(
      patterns,
      workspace,
      inWorkspace.map((p) => path.join(workspace, path.posix.relative(inRepo, p))),
    ).map(toRepo),
  );
  const changes: Changes = { since, added: [], modified: [], deleted: [] };
  const matchedNow = new Set<string>();
  for (const file of files) {
    const rel = toRepo(file.localPath);
    matchedNow.add(rel);
    if (!matchedThen.has(rel)) changes.added.push(file);
    else if (dirty.has(rel) || now.get(rel) !== then.get(rel)) changes.modified.push(file);
  }
  for (const rel of matchedThen) if (!matchedNow.has(rel)) changes.deleted.push(rel);
  return { ok: true, changes };
}

async function hasCommit(top: string, sha: string): Promise<boolean> {
  return git(top, ['cat-file', '-e', `${sha}^{commit}`]).then(
    () => true,
    () => false,
  );
}

/** Repository path → blob id of every file of `treeish` (`<mode> blob <id>\t<path>\0`). */
async function blobs(top: string, treeish: string): Promise<Map<string, string>> {
  const out = await git(top, ['ls-tree', '-r', '-z', '--full-tree', treeish]);
  const map = new Map<string, string>();
  for (const entry of out.split('\0')) {
    const tab = entry.indexOf('\t');
    if (tab < 0) continue;
    const [, type, id] = entry.slice(0, tab).split(' ');
    if (type === 'blob') map.set(entry.slice(tab + 1), id);
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
