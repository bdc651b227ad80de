import type { LayerReport } from './types.js';
import type { StoredData } from '../entrepot/types.js';

/**
 * A picture of the layer, served by the layer itself: a WMS GetMap of the pyramid's extent, or
 * the TMS tile that covers it. GitHub shows it in the summary through its image proxy.
 */
export function previewUrl(report: LayerReport, storedData: StoredData, compression?: string): string | undefined {
  const bbox = storedData.bbox;
  if (!bbox) return undefined;
  const [west, south, east, north] = bbox;
  const wms = report.urls.WMS;
  if (wms?.includes('{xmin}')) {
    const [x0, y0] = mercator(west, south);
    const [x1, y1] = mercator(east, north);
    const width = 512;
    const height = Math.max(1, Math.round((width * (y1 - y0)) / Math.max(1e-9, x1 - x0)));
    return wms
      .replace('{xmin}', x0.toFixed(2))
      .replace('{ymin}', y0.toFixed(2))
      .replace('{xmax}', x1.toFixed(2))
      .replace('{ymax}', y1.toFixed(2))
      .replace('{styles}', '')
      .replace('{width}', String(width))
      .replace('{height}', String(Math.min(height, 1024)))
      .replace('{srs}', 'EPSG:3857')
      .replace('{format}', 'image/png');
  }
  const tms = report.urls.TMS;
  if (!tms) return undefined;
  // The deepest level whose one tile still holds the whole extent (Web Mercator tiling).
  let z = 0;
  for (let candidate = 1; candidate <= 18; candidate++) {
    const [a, b] = tile(west, north, candidate);
    const [c, d] = tile(east, south, candidate);
    if (a !== c || b !== d) break;
    z = candidate;
  }
  const [x, y] = tile((west + east) / 2, (south + north) / 2, z);
  const tmsY = 2 ** z - 1 - y; // TMS counts rows from the bottom
  return `${tms.replace(/\/+$/, '')}/${z}/${x}/${tmsY}.${compression === 'png' ? 'png' : 'jpeg'}`;
}

function mercator(lon: number, lat: number): [number, number] {
  const r = 6378137;
  return [(r * lon * Math.PI) / 180, r * Math.log(Math.tan(Math.PI / 4 + (lat * Math.PI) / 360))];
}

function tile(lon: number, lat: number, z: number): [number, number] {
  const n = 2 ** z;
  const x = Math.floor(((lon + 180) / 360) * n);
  const rad = (lat * Math.PI) / 180;
  const y = Math.floor(((1 - Math.log(Math.tan(rad) + 1 / Math.cos(rad)) / Math.PI) / 2) * n);
  return [x, y];
}
