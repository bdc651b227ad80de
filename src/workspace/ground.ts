import { createWriteStream } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { finished } from 'node:stream/promises';
import { errorText } from '../shared/errors.js';
import { git, networkGitTimeoutMs } from './git.js';
import { startsAsPointer } from './lfs.js';
import { formatOfPath, readRasterHeader, type RasterHeader } from './raster/index.js';

/**
 * Whether a modified raster still covers the same ground: its header's CRS, size and
 * georeferencing at the live commit against now (docs/api.md, "Layers": a chained update cannot
 * remove ground, so moved ground is a full rebuild). The old content is read from git; a Git LFS
 * file's content through `git lfs smudge` (only when `readLfs`: a dry run downloads nothing).
 */

export type GroundVerdict = 'same' | 'moved' | 'uncompared';

export interface GroundReader {
  /** The file at the live commit (its blob id) against the one on disk now (or its blob at HEAD, for an LFS pointer). */
  compare(
    repoPath: string,
    oldBlob: string,
    localPath: string,
    newBlob: string | undefined,
  ): Promise<{ verdict: GroundVerdict; why?: string }>;
  dispose(): Promise<void>;
}

export async function groundReader(top: string, options: { readLfs: boolean; signal?: AbortSignal }): Promise<GroundReader> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'gpf-ground-'));
  let count = 0;
  /** A blob's content in a file of its own, LFS content smudged; undefined for LFS content not to be read. */
  const content = async (blob: string): Promise<string | undefined> => {
    const file = path.join(dir, String(++count));
    const out = createWriteStream(file);
    await Promise.all([git(top, ['cat-file', '--end-of-options', 'blob', blob], { stdoutTo: out, signal: options.signal }), finished(out)]);
    if (!(await startsAsPointer(file))) return file;
    if (!options.readLfs) return undefined;
    const smudged = path.join(dir, String(++count));
    const into = createWriteStream(smudged);
    const pointer = await readFile(file, 'utf8');
    const call = { stdoutTo: into, input: pointer, signal: options.signal, timeoutMs: networkGitTimeoutMs() };
    await Promise.all([git(top, ['lfs', 'smudge'], call), finished(into)]);
    return smudged;
  };
  const header = async (file: string, repoPath: string): Promise<RasterHeader> =>
    readRasterHeader(file, formatOfPath(repoPath) === 'jp2' ? 'jp2' : 'tiff');
  return {
    async compare(repoPath, oldBlob, localPath, newBlob) {
      try {
        const before = await content(oldBlob);
        const onDisk = !(await startsAsPointer(localPath));
        const now = onDisk ? localPath : newBlob ? await content(newBlob) : undefined;
        if (!before || !now) return { verdict: 'uncompared' };
        const [a, b] = await Promise.all([header(before, repoPath), header(now, repoPath)]);
        const why = groundChange(a, b);
        return why ? { verdict: 'moved', why } : { verdict: 'same' };
      } catch (error) {
        return { verdict: 'moved', why: `its earlier georeferencing could not be read (${errorText(error)})` };
      }
    },
    dispose: () => rm(dir, { recursive: true, force: true }),
  };
}

/** How the ground of `before` and `after` differs, in words; undefined when it is the same. */
function groundChange(before: RasterHeader, after: RasterHeader): string | undefined {
  if (before.epsg !== after.epsg) return `its CRS changed (EPSG:${before.epsg ?? '?'} → EPSG:${after.epsg ?? '?'})`;
  if (before.width !== after.width || before.height !== after.height)
    return `its size changed (${before.width}×${before.height} → ${after.width}×${after.height} pixels)`;
  const [t, u] = [before.transform, after.transform];
  if (!t || !u) return t === u ? undefined : 'its georeferencing changed (header against world file)';
  const close = (x: number, y: number) => Math.abs(x - y) <= 1e-9 * Math.max(1, Math.abs(x), Math.abs(y));
  return t.every((value, i) => close(value, u[i])) ? undefined : 'its georeferencing changed';
}
