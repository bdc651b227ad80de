import path from 'node:path';
import { createWriteStream } from 'node:fs';
import { readFile, realpath, rename, rm, stat } from 'node:fs/promises';
import { finished } from 'node:stream/promises';
import { git, networkGitTimeoutMs, type GitCall } from './git.js';
import { GitError, LocalFileError, list } from '../shared/errors.js';
import { toSlashes } from '../shared/format.js';
import { closeFd, openForReading, readFully } from '../shared/fd.js';
import type { LocalFile } from './files.js';

/**
 * Git LFS files in a checkout made without their content (`actions/checkout` with `lfs: false`):
 * a matched file that is still a pointer is never sent, nor refused as "not a raster" when it is
 * not to be sent. Only the files a run sends get their content, with `git lfs pull --include`, in
 * batches: a merge that changes 3 tiles of a 300 GB layer downloads 3 tiles.
 */

/** A pointer file is a few lines of text (git-lfs's specification: at most 1024 bytes). */
const MAX_POINTER_BYTES = 1024;
const POINTER_START = Buffer.from('version https://git-lfs.github.com/spec/v1');
/** Paths given to one `git lfs pull`, within what a command line takes. */
const BATCH_FILES = 100;

export async function isLfsPointer(file: LocalFile): Promise<boolean> {
  if (file.size > MAX_POINTER_BYTES || file.size < POINTER_START.length) return false;
  return startsAsPointer(file.localPath);
}

/** Whether the file at `localPath` begins as a Git LFS pointer does (its size unknown). */
export async function startsAsPointer(localPath: string): Promise<boolean> {
  const fd = await openForReading(localPath);
  try {
    const head = Buffer.alloc(POINTER_START.length);
    const read = await readFully(fd, head, 0, head.length, 0);
    return read === head.length && head.equals(POINTER_START);
  } finally {
    await closeFd(fd);
  }
}

/**
 * The files that are LFS pointers, each with the size of its content as the pointer states it (so
 * that it compares with what an upload holds before any content is fetched), and the others.
 */
export async function splitPointers(files: LocalFile[]): Promise<{ pointers: LocalFile[]; contents: LocalFile[] }> {
  const pointers: LocalFile[] = [];
  const contents: LocalFile[] = [];
  for (const file of files) {
    if (!(await isLfsPointer(file))) contents.push(file);
    else pointers.push({ ...file, size: declaredSize(await readFile(file.localPath, 'utf8')) ?? file.size });
  }
  return { pointers, contents };
}

/** A pointer's `size <bytes>` line. */
function declaredSize(pointer: string): number | undefined {
  const match = /^size (\d+)$/m.exec(pointer);
  return match ? Number(match[1]) : undefined;
}

/** Characters git-lfs reads as a pattern in `--include` (a comma separates patterns): a name with one is fetched alone. */
const PATTERN_CHARACTERS = /[*?[\]{},\\!]|^#/;

/**
 * Fetches the content of `pointers` (files of the workspace's repository) and returns them as they
 * are now, with their real size. A file whose content cannot be fetched is named in one error.
 * Names are names, never patterns: those git-lfs would read as one (`*.tif`, a comma) are fetched
 * one by one through `git lfs smudge`, the others in batches. Every call is bounded and obeys cancel.
 */
export async function fetchContent(workspace: string, pointers: LocalFile[], signal?: AbortSignal): Promise<LocalFile[]> {
  if (pointers.length === 0) return [];
  const call = { signal, timeoutMs: networkGitTimeoutMs() };
  const top = (await git(workspace, ['rev-parse', '--show-toplevel'], { signal })).trim();
  const inRepo = path.relative(top, await realpath(workspace));
  const repoPath = (file: LocalFile) => toSlashes(path.join(inRepo, path.relative(workspace, file.localPath)));
  const failures: string[] = [];
  const failed = (error: unknown) => {
    if (!(error instanceof GitError)) throw error;
    const text = error.reason;
    failures.push(text.split('\n').find((line) => line.trim()) ?? text);
  };
  const plain = pointers.filter((f) => !PATTERN_CHARACTERS.test(repoPath(f)));
  for (let i = 0; i < plain.length; i += BATCH_FILES) {
    const batch = plain.slice(i, i + BATCH_FILES);
    await git(top, ['lfs', 'pull', `--include=${batch.map(repoPath).join(',')}`, '--exclude='], call).catch(failed);
  }
  for (const file of pointers.filter((f) => PATTERN_CHARACTERS.test(repoPath(f))))
    await smudge(top, file, repoPath(file), call).catch(failed);
  const fetched = await Promise.all(
    pointers.map(async (file) => {
      const now = await stat(file.localPath);
      return { ...file, size: now.size, mtimeMs: now.mtimeMs };
    }),
  );
  const still = (await Promise.all(fetched.map(async (f) => ((await isLfsPointer(f)) ? f : undefined)))).filter((f) => f !== undefined);
  if (still.length)
    throw new LocalFileError(
      list(still.map((f) => repoPath(f))),
      `${still.length > 1 ? 'are' : 'is a'} Git LFS pointer${still.length > 1 ? 's' : ''} whose content could not be fetched (git lfs pull${failures.length ? `: ${failures[0]}` : ''}); check out with lfs: true, or check the LFS remote`,
    );
  return fetched;
}

/** One pointer's content, fetched alone: `git lfs smudge` reads the pointer and writes the content beside it, then in its place. */
async function smudge(top: string, file: LocalFile, repoPath: string, call: GitCall): Promise<void> {
  const pointer = await readFile(file.localPath, 'utf8');
  const partial = `${file.localPath}.lfs-fetch`;
  const out = createWriteStream(partial);
  try {
    await Promise.all([git(top, ['lfs', 'smudge', '--', repoPath], { ...call, input: pointer, stdoutTo: out }), finished(out)]);
    await rename(partial, file.localPath);
  } finally {
    await rm(partial, { force: true });
  }
}
