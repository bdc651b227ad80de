import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { rasterCheck, type StoredFile } from '../emulator/checks.js';
import { ROOT } from '../scripts/action-runner.js';
import { formatOfPath, readRasterHeader } from '../src/workspace/raster/index.js';
import { fixture } from './support/workspace.js';

// The emulator's raster check judges files by what GDAL read in them (emulator/known-rasters.json),
// never with the action's reader; and the action's reader is held to the same GDAL figures here.
const known: Array<{ file: string; epsg: number | null; georeferenced: boolean }> = JSON.parse(
  readFileSync(path.join(ROOT, 'emulator', 'known-rasters.json'), 'utf8'),
);

const dir = await mkdtemp(path.join(os.tmpdir(), 'emulator-checks-'));
afterAll(() => rm(dir, { recursive: true, force: true }));

async function stored(remotePath: string, bytes: Buffer): Promise<StoredFile> {
  const diskPath = path.join(dir, remotePath.replace(/\//g, '_'));
  await writeFile(diskPath, bytes);
  return { path: remotePath, diskPath, size: bytes.length };
}
const errors = (lines: string[]) => lines.filter((l) => /ERROR\|\|/.test(l)).map((l) => l.split('||').at(-1));

describe("the emulator's raster check", () => {
  it('refuses a file in another SRS, a padded copy too, and passes the declared one', async () => {
    const wgs84 = await fixture('geotiff-4326.tif');
    const files = [
      await stored('data/a.tif', await fixture('geotiff-2154.tif')),
      await stored('data/b.tif', wgs84),
      await stored('data/c.tif', Buffer.concat([wgs84, Buffer.alloc(100_000, 7)])),
    ];
    expect(errors(await rasterCheck(files, 'EPSG:2154'))).toEqual([
      'Incohérence avec le SRS du fichier /mnt/upload/data/b.tif',
      'Incohérence avec le SRS du fichier /mnt/upload/data/c.tif',
    ]);
  });

  it('needs a world file beside a TIFF that has no georeferencing, and refuses what is no raster', async () => {
    const plain = await fixture('plain.tif');
    const files = [
      await stored('data/with.tif', plain),
      await stored('data/with.tfw', await fixture('plain.tfw')),
      await stored('data/without.tif', plain),
      await stored('data/fake.jp2', Buffer.from('not a JPEG 2000 file')),
    ];
    expect(errors(await rasterCheck(files, 'EPSG:2154'))).toEqual([
      "Le fichier /mnt/upload/data/without.tif n'est pas géoréférencé et n'a pas de fichier TFW",
      "Le fichier /mnt/upload/data/fake.jp2 n'est pas lisible : signature JP2 absente",
    ]);
  });
});

describe("the action's raster reader against GDAL", () => {
  it.each(known.map((k) => [k.file, k] as const))('%s: the EPSG and georeferencing GDAL reads', async (file, expected) => {
    const header = await readRasterHeader(path.join(ROOT, file), formatOfPath(file) as 'tiff' | 'jp2');
    expect(header.epsg ?? null).toBe(expected.epsg);
    expect(header.georeferenced).toBe(expected.georeferenced);
  });
});
