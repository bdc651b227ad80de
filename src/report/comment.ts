import { FileError } from '../shared/errors.js';
import { formatBytes, slashRelative } from '../shared/format.js';
import type { RunRecord } from './record.js';
import { messageOf } from './summary.js';

/**
 * The pull-request comment: what a merge will publish, the preflight verdict, and a map of the
 * rasters (a `geojson` block, which GitHub renders as an interactive map). One renderer of the
 * run's record, as the log and the job summary are. It stays within GitHub's comment limit
 * whatever the number of files: long lists fold and are cut, and a map too large for the comment
 * is drawn per folder, then as one outline.
 */

/** GitHub refuses a comment body over 65,536 characters; keep clear of it. */
export const MAX_COMMENT_CHARS = 60_000;
const MAX_MAP_CHARS = 30_000;
const MAX_TABLE_ROWS = 300;
/** Lists longer than this fold into a <details> block. */
const FOLD_ROWS = 20;
/** simplestyle colours: what will be published, what is refused, the layer as it is now. */
const COLOURS = { ok: '#1a7f37', refused: '#cf222e', current: '#0969da' };

export interface CommentFile {
  /** Path in the repository. */
  path: string;
  remotePath: string;
  size: number;
  epsg?: number;
  /** WGS84 outline, when the raster's CRS is known. */
  ring?: Array<[number, number]>;
  /** What preflight says of it: a problem refuses it. */
  problem?: string;
  outcome: 'to send' | 'already there' | 'unchanged' | 'refused';
}

export interface CommentRecord {
  name: string;
  srs: string;
  /** False when the API was not consulted (a dry run without credentials). */
  apiConsulted: boolean;
  /** What the upload will be: `to be created`, or its id and status. */
  upload: string;
  verdict: { ok: boolean; message?: string };
  warnings: string[];
  files: CommentFile[];
  /** What the layer chain would do, e.g. `ortho_2024 would be updated (WMTS-TMS)`. */
  layer?: string;
  /** The live layer's extent [west, south, east, north], drawn beside the rasters. */
  currentExtent?: [number, number, number, number];
  runUrl?: string;
}

/** The run as the comment tells it: each file as the repository names it, refused or to send. */
export function commentRecordOf(run: RunRecord): CommentRecord {
  const workspace = run.context.workspace ?? process.cwd();
  const ending = run.end?.error;
  const refused = new Map<string, string>();
  if (ending instanceof FileError) for (const p of ending.problems) for (const one of p.paths) refused.set(one, p.problem);
  const files = [...run.rows.values()].map(({ file, outcome }): CommentFile => {
    const shown = slashRelative(workspace, file.localPath);
    const place = run.places.get(file.remotePath);
    const problem = refused.get(shown);
    const shownOutcome =
      problem !== undefined ? 'refused' : outcome === 'present' ? 'already there' : outcome === 'unchanged' ? 'unchanged' : 'to send';
    return {
      path: shown,
      remotePath: file.remotePath,
      size: file.size,
      epsg: place?.epsg,
      ring: place?.ring,
      problem,
      outcome: shownOutcome,
    };
  });
  const unconsulted = run.apiConsulted ? 'to be created' : 'to be created (unless one of that name is OPEN)';
  return {
    name: run.context.name,
    srs: run.context.srs,
    apiConsulted: run.apiConsulted,
    upload: run.uploadId ? `${run.uploadId} (${run.status}), to be resumed` : unconsulted,
    verdict: ending ? { ok: false, message: messageOf(ending, run.uploadId, run.status) } : { ok: true },
    warnings: run.warnings,
    files,
    layer: run.layer ? layerLine(run.layer) : undefined,
    currentExtent: run.layer?.currentExtent,
  };
}

/** `ortho_2024 would be updated (WMTS-TMS)`, or with the pyramid's parameters before any service. */
function layerLine(layer: NonNullable<RunRecord['layer']>): string {
  const detail =
    layer.services.map((s) => s.type).join(', ') ||
    Object.entries(layer.parameters)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ');
  return `${layer.layer} ${layer.action} (${detail})${layer.update ? `; ${layer.update.kind}: ${layer.update.why}` : ''}`;
}

/** The hidden marker that finds this upload name's comment again on a later push. */
export function commentMarker(name: string): string {
  return `<!-- geoplateforme-publish-raster name=${encodeURIComponent(name)} -->`;
}

export function renderComment(record: CommentRecord): string {
  const out: string[] = [commentMarker(record.name)];
  const refused = record.files.filter((f) => f.outcome === 'refused');
  const bytes = record.files.reduce((sum, f) => sum + f.size, 0);
  out.push(`### ${record.verdict.ok ? '✅' : '❌'} Géoplateforme: what merging publishes to \`${code(record.name)}\``);
  out.push('');
  out.push(
    record.verdict.ok
      ? `Every file passes the checks the platform would make (${record.srs}).`
      : `**${escapeMd(record.verdict.message ?? 'The files would be refused.')}**`,
  );
  out.push('');
  const counts = ['to send', 'already there', 'unchanged', 'refused']
    .map((o) => [o, record.files.filter((f) => f.outcome === o).length] as const)
    .filter(([, n]) => n > 0);
  out.push(`- **Files**: ${record.files.length}, ${formatBytes(bytes)}: ${counts.map(([o, n]) => `${n} ${o}`).join(', ')}`);
  out.push(`- **Upload**: ${escapeMd(record.upload)}`);
  if (!record.apiConsulted)
    out.push('- The API was not consulted (no credentials, as for a pull request from a fork): the plan assumes a new upload.');
  if (record.layer) out.push(`- **Layer**: ${escapeMd(record.layer)}`);
  for (const warning of record.warnings.slice(0, 10)) out.push(`- ⚠️ ${escapeMd(warning)}`);
  out.push('');
  if (refused.length) {
    out.push(
      fold(
        `Refused (${refused.length})`,
        [
          '| File | Problem |',
          '|---|---|',
          ...refused.slice(0, MAX_TABLE_ROWS).map((f) => `| \`${code(f.path)}\` | ${escapeMd(f.problem ?? '')} |`),
        ],
        refused.length,
        true,
      ),
    );
  }
  const rows = record.files
    .slice(0, MAX_TABLE_ROWS)
    .map((f) => `| \`${code(f.remotePath)}\` | ${formatBytes(f.size)} | ${f.epsg ? `EPSG:${f.epsg}` : '–'} | ${f.outcome} |`);
  out.push(
    fold(
      `Files (${record.files.length})`,
      ['| Remote path | Size | SRS | Result |', '|---|---|---|---|', ...rows],
      record.files.length,
      false,
    ),
  );
  const map = mapOf(record);
  if (map) out.push('', '```geojson', map, '```');
  const unplaced = record.files.filter((f) => !f.ring && f.remotePath.match(/\.(tiff?|jp2)$/i));
  if (unplaced.length) out.push('', `${unplaced.length} raster(s) are not on the map: their SRS has no known definition.`);
  if (record.runUrl) out.push('', `<sub>[The run](${record.runUrl}) · updated on every push</sub>`);
  let body = out.join('\n');
  if (body.length > MAX_COMMENT_CHARS)
    body = `${body.slice(0, MAX_COMMENT_CHARS - 200)}\n\n… (cut to GitHub's comment size; the job summary has everything)`;
  return body;
}

function fold(title: string, lines: string[], count: number, open: boolean): string {
  const more = count > MAX_TABLE_ROWS ? `\n\n… and ${count - MAX_TABLE_ROWS} more.` : '';
  if (count <= FOLD_ROWS) return `${lines.join('\n')}${more}\n`;
  return `<details${open ? ' open' : ''}><summary>${title}</summary>\n\n${lines.join('\n')}${more}\n\n</details>\n`;
}

/** The map: one polygon per raster; per folder if that is too long; one outline if still too long. */
function mapOf(record: CommentRecord): string | undefined {
  const placed = record.files.filter((f) => f.ring);
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

/** Text in a table cell or a line: no pipe, no newline, no HTML. */
function escapeMd(text: string): string {
  return text.replace(/[\r\n]+/g, ' ').replace(/[|<>]/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Text inside backticks: a backtick would end it. */
function code(text: string): string {
  return text.replace(/`/g, "'").replace(/[\r\n]+/g, ' ');
}

/** [west, south, east, north] of rings. */
export function bounds(rings: Array<Array<[number, number]>>): [number, number, number, number] {
  const xs = rings.flat().map((p) => p[0]);
  const ys = rings.flat().map((p) => p[1]);
  return [Math.min(...xs), Math.min(...ys), Math.max(...xs), Math.max(...ys)];
}
