import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { bufferSource } from '../src/workspace/raster/byte-source.js';
import { formatOfPath, readRasterHeader, readWorldFile } from '../src/workspace/raster/index.js';
import { readJp2Info } from '../src/workspace/raster/jp2.js';
import { parseWorldFile } from '../src/workspace/raster/tfw.js';
import { FIXTURES, fixture, makeWorkspace } from './support/workspace.js';

// The fixtures were written by GDAL (scripts/make-samples.sh); gdalinfo agrees with each expectation.
const at = (name: string) => path.join(FIXTURES, name);

describe('TIFF GeoKeys', () => {
  it.each([
    ['geotiff-2154.tif', 2154, false],
    ['geotiff-4326.tif', 4326, false],
    ['geotiff-4326-geographic.tif', 4326, false],
    ['geotiff-3857.tif', 3857, false],
    ['bigtiff-2154.tif', 2154, true],
  ])('%s declares EPSG:%i', async (name, epsg, bigTiff) => {
    const header = await readRasterHeader(at(name), 'tiff');
    expect(header).toMatchObject({ epsg, georeferenced: true, userDefinedCrs: false, bigTiff });
  });

  it('says a user-defined CRS has no EPSG code rather than guessing one', async () => {
    const header = await readRasterHeader(at('geotiff-userdefined.tif'), 'tiff');
    expect(header.epsg).toBeUndefined();
    expect(header.userDefinedCrs).toBe(true);
    expect(header.georeferenced).toBe(true);
  });

  it('sees that a plain TIFF has no georeferencing', async () => {
    const header = await readRasterHeader(at('plain.tif'), 'tiff');
    expect(header).toMatchObject({ georeferenced: false, userDefinedCrs: false });
    expect(header.epsg).toBeUndefined();
  });

  it('refuses bytes that are not a TIFF, and a truncated one', async () => {
    const ws = await makeWorkspace({ 'fake.tif': 'not a tiff at all', 'cut.tif': (await fixture('geotiff-2154.tif')).subarray(0, 12) });
    await expect(readRasterHeader(path.join(ws.dir, 'fake.tif'), 'tiff')).rejects.toThrow(/signature/);
    await expect(readRasterHeader(path.join(ws.dir, 'cut.tif'), 'tiff')).rejects.toThrow();
    await ws.cleanup();
  });
});

describe('JP2 boxes', () => {
  it.each([
    ['jp2-2154.jp2', 2154],
    ['jp2-4326.jp2', 4326],
  ])('%s declares EPSG:%i through its GeoJP2 box', async (name, epsg) => {
    expect(await readRasterHeader(at(name), 'jp2')).toMatchObject({ epsg, georeferenced: true });
  });

  it('falls back to the GMLJP2 box when there is no GeoJP2 box', async () => {
    const original = await fixture('jp2-2154.jp2');
    // Remove the top-level uuid box: what remains carries only the GML.
    const boxes: Buffer[] = [];
    for (let at = 0; at < original.length;) {
      const length = original.readUInt32BE(at);
      if (original.toString('latin1', at + 4, at + 8) !== 'uuid') boxes.push(original.subarray(at, at + length));
      at += length;
    }
    const info = await readJp2Info(bufferSource(Buffer.concat(boxes)));
    expect(info).toMatchObject({ epsg: 2154, crsFrom: 'gmljp2', georeferenced: true });
  });

  it('refuses a file without the JP2 signature', async () => {
    const ws = await makeWorkspace({ 'x.jp2': Buffer.alloc(64) });
    await expect(readRasterHeader(path.join(ws.dir, 'x.jp2'), 'jp2')).rejects.toThrow(/signature/);
    await ws.cleanup();
  });

  it('reads only the header of a large file', async () => {
    // A 2 GB sparse GeoTIFF: the same header, then a hole. Reading it must not read the hole.
    const ws = await makeWorkspace({ 'big.tif': await fixture('geotiff-2154.tif') });
    const big = path.join(ws.dir, 'big.tif');
    const { truncate } = await import('node:fs/promises');
    await truncate(big, 2 * 1024 ** 3);
    const before = process.memoryUsage().rss;
    expect(await readRasterHeader(big, 'tiff')).toMatchObject({ epsg: 2154 });
    expect(process.memoryUsage().rss - before).toBeLessThan(50 * 1024 * 1024);
    await ws.cleanup();
  });
});

describe('world files', () => {
  it('parses six numbers', () => {
    expect(parseWorldFile('10.0\n0\n0\n-10\n651005\n6860995\n')).toEqual([10, 0, 0, -10, 651005, 6860995]);
    expect(parseWorldFile('1e1\r\n0\r\n0\r\n-1E1\r\n+5\r\n.5\r\n')).toEqual([10, 0, 0, -10, 5, 0.5]);
  });

  it.each([['1\n2\n3\n4\n5\n'], ['1\n2\n3\n4\n5\nsix\n'], ['1\n2\n3\n4\n5\n6\n7\n']])('refuses %j', (text) => {
    expect(() => parseWorldFile(text)).toThrow();
  });

  it('refuses a large file as a world file', async () => {
    const ws = await makeWorkspace({ 'big.tfw': Buffer.alloc(10_000, 0x31) });
    await expect(readWorldFile(path.join(ws.dir, 'big.tfw'))).rejects.toThrow(/too large/);
    await writeFile(path.join(ws.dir, 'ok.tfw'), '1\n0\n0\n-1\n0\n0\n');
    await expect(readWorldFile(path.join(ws.dir, 'ok.tfw'))).resolves.toEqual([1, 0, 0, -1, 0, 0]);
    await ws.cleanup();
  });

  it('maps extensions to formats, case-insensitively', () => {
    expect(['a.TIF', 'a.tiff', 'a.jp2', 'a.TFW', 'a.png', 'noext'].map(formatOfPath)).toEqual([
      'tiff',
      'tiff',
      'jp2',
      'tfw',
      undefined,
      undefined,
    ]);
  });
});
