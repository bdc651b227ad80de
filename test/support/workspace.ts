import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ROOT } from '../../scripts/action-runner.js';

export const FIXTURES = path.join(ROOT, 'test', 'fixtures');
export const SAMPLES = path.join(ROOT, 'samples', 'rasters');

/** A temporary workspace; `files` maps a relative path to a fixture name or to content. */
export async function makeWorkspace(files: Record<string, string | Buffer> = {}): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'workspace-'));
  for (const [relative, source] of Object.entries(files)) {
    const target = path.join(dir, relative);
    await mkdir(path.dirname(target), { recursive: true });
    if (typeof source === 'string' && source.startsWith('fixture:')) await cp(path.join(FIXTURES, source.slice(8)), target);
    else await writeFile(target, source);
  }
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** A workspace holding a copy of samples/rasters under `rasters/`. */
export async function sampleWorkspace(extra: Record<string, string | Buffer> = {}) {
  const ws = await makeWorkspace(extra);
  await cp(SAMPLES, path.join(ws.dir, 'rasters'), { recursive: true });
  return ws;
}

export function fixture(name: string): Promise<Buffer> {
  return readFile(path.join(FIXTURES, name));
}

/**
 * `folders` × `perFolder` copies of a small GeoTIFF under `dir`/rasters/d<i>/t_<i>_<j>.tif, for
 * runs with many files; resolves with the bytes of one.
 */
export async function writeTiles(dir: string, folders: number, perFolder: number): Promise<Buffer> {
  const tif = await fixture('geotiff-2154.tif');
  for (let d = 0; d < folders; d++) {
    await mkdir(path.join(dir, 'rasters', `d${d}`), { recursive: true });
    await Promise.all(Array.from({ length: perFolder }, (_, i) => writeFile(path.join(dir, 'rasters', `d${d}`, `t_${d}_${i}.tif`), tif)));
  }
  return tif;
}
