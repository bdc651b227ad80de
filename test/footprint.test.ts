import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { definitionOf, footprint } from '../src/workspace/footprint.js';
import { readRasterHeader, readWorldFile } from '../src/workspace/raster/index.js';
import { worldFileTransform } from '../src/workspace/raster/tfw.js';
import { ROOT } from '../scripts/action-runner.js';

// Footprints checked against GDAL's own: test/fixtures/extents.json holds `gdalinfo -json`'s
// wgs84Extent of each raster (scripts/make-samples.sh writes it).

describe('footprints, as GDAL sees them', async () => {
  const extents = JSON.parse(await readFile(path.join(ROOT, 'test', 'fixtures', 'extents.json'), 'utf8')) as Record<
    string,
    { coordinates: number[][][] }
  >;
  it.each(Object.entries(extents))('%s', async (file, extent) => {
    const local = path.join(ROOT, file);
    const header = await readRasterHeader(local, file.endsWith('.jp2') ? 'jp2' : 'tiff');
    const tfw =
      file.endsWith('.tif') && !header.transform ? worldFileTransform(await readWorldFile(local.replace(/\.tif$/, '.tfw'))) : undefined;
    const ring = footprint(header.epsg ?? 2154, (header.transform ?? tfw)!, header.width!, header.height!);
    expect(ring).toBeDefined();
    // GDAL's four corners (upper left, lower left, lower right, upper right) are among ours.
    for (const [lon, lat] of extent.coordinates[0]) {
      const nearest = Math.min(...ring!.map(([x, y]) => Math.hypot(x - lon, y - lat)));
      expect(nearest, `${lon},${lat}`).toBeLessThan(1e-6); // about 10 cm
    }
  });

  it('knows the CRSs a Géoplateforme user meets, and not the others', () => {
    for (const epsg of [2154, 3942, 3950, 4326, 3857, 2972, 5490, 2975, 4471, 32620, 32740, 27572])
      expect(definitionOf(epsg), String(epsg)).toBeDefined();
    expect(definitionOf(3951)).toBeUndefined();
    expect(footprint(9999, [0, 1, 0, 0, 0, -1], 10, 10)).toBeUndefined();
  });
});
