import { formatBytes } from '../shared/format.js';
import type { CommentFile, CommentRecord } from './comment-types.js';

/**
 * The pull-request comment's map: a `geojson` block, which GitHub renders as an interactive map, of
 * the rasters' outlines in WGS84 and the live layer's extent, kept within its share of the comment.
 */

const MAX_MAP_CHARS = 30_000;
/** simplestyle colours: what will be published, what is refused, the layer as it is now. */
const COLOURS = { ok: '#1a7f37', refused: '#cf222e', current: '#0969da' };

/**
 * The map: one polygon per raster; per folder if that is too long; one outline if still too long.
 * Only outlines inside WGS84's bounds are drawn; the others, and rasters of an unknown CRS, are said.
 */
export function mapOf(record: CommentRecord): { json?: string; note?: string } {
  const rasters = record.files.filter((f) => /\.(tiff?|jp2)$/i.test(f.remotePath));
  const placed = record.files.filter((f) => f.ring && f.ring.every(inWgs84));
  const outOfBounds = record.files.filter((f) => f.ring && !f.ring.every(inWgs84)).length;
  const unknown = rasters.filter((f) => !f.ring).length;
  const notes = [
    unknown ? `${unknown} raster(s) are not on the map: their SRS has no known definition.` : '',
    outOfBounds
      ? `${outOfBounds} raster(s) are not on the map: their outline falls outside WGS84's bounds (check their georeferencing).`
      : '',
  ].filter(Boolean);
  const note = notes.length ? notes.join(' ') : undefined;
  const json = mapJson(record, placed);
  return { json, note };
}

/** A point a map can show: finite, longitude within ±180°, latitude within ±90°. */
function inWgs84([x, y]: [number, number]): boolean {
  return Number.isFinite(x) && Number.isFinite(y) && Math.abs(x) <= 180 && Math.abs(y) <= 90;
}

function mapJson(record: CommentRecord, placed: CommentFile[]): string | undefined {
  if (!placed.length && !record.currentExtent) return undefined;
  const current = record.currentExtent
    ? [
        feature(box(record.currentExtent), {
          name: 'the layer as it is now',
          stroke: COLOURS.current,
          fill: COLOURS.current,
          'fill-opacity': 0.05,
        }),
      ]
    : [];
  const colour = (refused: boolean) => (refused ? COLOURS.refused : COLOURS.ok);
  const perFile = placed.map((f) =>
    feature(f.ring as Array<[number, number]>, {
      name: f.path,
      size: formatBytes(f.size),
      epsg: f.epsg ? `EPSG:${f.epsg}` : '',
      result: f.outcome,
      stroke: colour(f.outcome === 'refused'),
      fill: colour(f.outcome === 'refused'),
      'fill-opacity': 0.2,
    }),
  );
  let json = collection([...current, ...perFile]);
  if (json.length <= MAX_MAP_CHARS) return json;
  const folders = new Map<string, CommentFile[]>();
  for (const f of placed) {
    const folder = f.path.includes('/') ? f.path.slice(0, f.path.lastIndexOf('/')) : '.';
    folders.set(folder, [...(folders.get(folder) ?? []), f]);
  }
  const perFolder = [...folders].map(([folder, members]) => {
    const refused = members.some((m) => m.outcome === 'refused');
    return feature(box(bounds(members.map((m) => m.ring as Array<[number, number]>))), {
      name: `${folder}/ (${members.length} rasters)`,
      size: formatBytes(members.reduce((s, m) => s + m.size, 0)),
      stroke: colour(refused),
      fill: colour(refused),
      'fill-opacity': 0.2,
    });
  });
  json = collection([...current, ...perFolder]);
  if (json.length <= MAX_MAP_CHARS) return json;
  return collection([
    ...current,
    feature(box(bounds(placed.map((f) => f.ring as Array<[number, number]>))), {
      name: `${placed.length} rasters`,
      stroke: COLOURS.ok,
      fill: COLOURS.ok,
    }),
  ]);
}

function box([west, south, east, north]: [number, number, number, number]): Array<[number, number]> {
  return [
    [west, south],
    [east, south],
    [east, north],
    [west, north],
    [west, south],
  ];
}

function feature(ring: Array<[number, number]>, properties: Record<string, unknown>): unknown {
  return { type: 'Feature', properties, geometry: { type: 'Polygon', coordinates: [ring] } };
}

function collection(features: unknown[]): string {
  return JSON.stringify({ type: 'FeatureCollection', features });
}

/** [west, south, east, north] of rings, by a loop: thousands of points must not overflow the stack. */
export function bounds(rings: Array<Array<[number, number]>>): [number, number, number, number] {
  const box: [number, number, number, number] = [Infinity, Infinity, -Infinity, -Infinity];
  for (const ring of rings)
    for (const [x, y] of ring) {
      box[0] = Math.min(box[0], x);
      box[1] = Math.min(box[1], y);
      box[2] = Math.max(box[2], x);
      box[3] = Math.max(box[3], y);
    }
  return box;
}
