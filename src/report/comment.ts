import { FileError } from '../shared/errors.js';
import { formatBytes, slashRelative } from '../shared/format.js';
import type { RunRecord } from './record.js';
import { mapOf } from './comment-map.js';
import type { CommentFile, CommentRecord } from './comment-types.js';
import { cut, messageOf } from './text.js';
import { fieldLabel } from '../catalogue/labels.js';

/**
 * The pull-request comment: what a merge will publish, the preflight verdict, and a map of the
 * rasters (a `geojson` block, which GitHub renders as an interactive map). One renderer of the
 * run's record, as the log and the job summary are. It stays within GitHub's comment limit
 * whatever the number of files: long lists fold and are cut, and a map too large for the comment
 * is drawn per folder, then as one outline.
 */

/** GitHub refuses a comment body over 65,536 characters; keep clear of it. */
export const MAX_COMMENT_CHARS = 60_000;
const MAX_TABLE_ROWS = 300;
/** Lists longer than this fold into a <details> block. */
const FOLD_ROWS = 20;
/** A record's value shown in the comment: an abstract is long, the table stays readable. */
const MAX_VALUE_CHARS = 200;

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
    metadata: run.catalogue && {
      fileIdentifier: run.catalogue.fileIdentifier,
      verdict: run.catalogue.verdict,
      changes: run.catalogue.changes.map((c) => ({ field: fieldLabel(c.field), before: c.before, after: c.after })),
    },
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

/**
 * The comment's body. Everything from outside (file names, the server's words, tags, layer names) is
 * shown in code spans, where GitHub renders no mention, link, image or HTML; inside tables their
 * pipes are escaped. A body over GitHub's limit keeps its frame (headline, verdict, map, run link):
 * the file tables are what is cut, each block closed.
 */
export function renderComment(record: CommentRecord): string {
  const head = headOf(record);
  const map = mapOf(record);
  const tail: string[] = [];
  if (map.json) tail.push('', '```geojson', map.json, '```');
  if (map.note) tail.push('', map.note);
  if (record.runUrl && /^https:\/\/[^\s()<>]+$/.test(record.runUrl))
    tail.push('', `<sub>[The run](${record.runUrl}) · updated on every push</sub>`);
  const frame = head.join('\n').length + tail.join('\n').length + 200;
  for (let rows = MAX_TABLE_ROWS; ; rows = Math.floor(rows / 2)) {
    const body = [...head, ...tablesOf(record, rows), ...tail].join('\n');
    if (body.length <= MAX_COMMENT_CHARS || rows === 0) return body;
    if (frame > MAX_COMMENT_CHARS)
      return [...head.slice(0, 4), '', "… (cut to GitHub's comment size; the job summary has everything)", ...tail].join('\n');
  }
}

/** The headline, the verdict, the counts, the upload and the layer, the warnings. */
function headOf(record: CommentRecord): string[] {
  const out: string[] = [commentMarker(record.name)];
  const bytes = record.files.reduce((sum, f) => sum + f.size, 0);
  out.push(`### ${record.verdict.ok ? '✅' : '❌'} Géoplateforme: what merging publishes to ${span(record.name)}`);
  out.push('');
  out.push(
    record.verdict.ok
      ? `Every file passes the checks the platform would make (${span(record.srs)}).`
      : `**The run would fail:** ${span(record.verdict.message ?? 'the files would be refused')}`,
  );
  out.push('');
  const counts = ['to send', 'already there', 'unchanged', 'refused']
    .map((o) => [o, record.files.filter((f) => f.outcome === o).length] as const)
    .filter(([, n]) => n > 0);
  out.push(`- **Files**: ${record.files.length}, ${formatBytes(bytes)}: ${counts.map(([o, n]) => `${n} ${o}`).join(', ')}`);
  out.push(`- **Upload**: ${span(record.upload)}`);
  if (!record.apiConsulted)
    out.push('- The API was not consulted (no credentials, as for a pull request from a fork): the plan assumes a new upload.');
  if (record.layer) out.push(`- **Layer**: ${span(record.layer)}`);
  if (record.metadata) out.push(`- **Metadata record** ${span(record.metadata.fileIdentifier)}: ${record.metadata.verdict}`);
  for (const warning of record.warnings.slice(0, 10)) out.push(`- ⚠️ ${span(warning)}`);
  out.push('');
  return out;
}

/** The refused files, then every file, at most `rows` rows each. */
function tablesOf(record: CommentRecord, rows: number): string[] {
  const out: string[] = metadataTable(record);
  const refused = record.files.filter((f) => f.outcome === 'refused');
  if (refused.length)
    out.push(
      fold(
        `Refused (${refused.length})`,
        [
          '| File | Problem |',
          '|---|---|',
          ...refused.slice(0, rows).map((f) => `| ${span(f.path, true)} | ${span(f.problem ?? '', true)} |`),
        ],
        refused.length,
        rows,
        true,
      ),
    );
  // What the merge changes first: refused, then to send, then already there; unchanged files as a count.
  const rank = { refused: 0, 'to send': 1, 'already there': 2, unchanged: 3 } as const;
  const listed = record.files
    .filter((f) => f.outcome !== 'unchanged')
    .sort((a, b) => rank[a.outcome] - rank[b.outcome] || (a.remotePath < b.remotePath ? -1 : a.remotePath > b.remotePath ? 1 : 0));
  const unchanged = record.files.length - listed.length;
  const lines = listed
    .slice(0, rows)
    .map((f) => `| ${span(f.remotePath, true)} | ${formatBytes(f.size)} | ${f.epsg ? `EPSG:${f.epsg}` : '–'} | ${f.outcome} |`);
  if (listed.length)
    out.push(
      fold(
        `Files (${listed.length})`,
        ['| Remote path | Size | SRS | Result |', '|---|---|---|---|', ...lines],
        listed.length,
        rows,
        false,
      ),
    );
  if (unchanged) out.push(`${unchanged} file(s) unchanged since the live layer's commit: the live pyramid holds them.`);
  return out;
}

/** The record's fields the merge changes: before and after, each value outside text in a span. */
function metadataTable(record: CommentRecord): string[] {
  const changes = record.metadata?.changes ?? [];
  if (!changes.length) return [];
  const cell = (value: string) => (value ? span(cut(value, MAX_VALUE_CHARS), true) : '–');
  const lines = changes.map((c) => `| ${c.field} | ${cell(c.before)} | ${cell(c.after)} |`);
  return [
    fold(
      `Metadata record: ${changes.length} field(s) change`,
      ['| Field | Now | After the merge |', '|---|---|---|', ...lines],
      changes.length,
      changes.length,
      true,
    ),
  ];
}

function fold(title: string, lines: string[], count: number, rows: number, open: boolean): string {
  const more = count > rows ? `\n\n… and ${count - rows} more (the job summary lists them all).` : '';
  if (count <= FOLD_ROWS && count <= rows) return `${lines.join('\n')}${more}\n`;
  return `<details${open ? ' open' : ''}><summary>${title}</summary>\n\n${lines.join('\n')}${more}\n\n</details>\n`;
}

/**
 * Outside text as a code span: GitHub renders no mention, link, image, emphasis or HTML inside one.
 * The fence is longer than any run of backticks in the text; in a table cell a pipe is escaped, the
 * one thing a table reads before the span. Line breaks become spaces.
 */
function span(text: string, inTable = false): string {
  let flat = text.replace(/[\r\n]+/g, ' ');
  if (inTable) flat = flat.replace(/\|/g, '\\|');
  if (flat === '') return '';
  let longest = 0;
  for (const run of flat.match(/`+/g) ?? []) longest = Math.max(longest, run.length);
  const fence = '`'.repeat(longest + 1);
  const pad = flat.startsWith('`') || flat.endsWith('`') || (flat.startsWith(' ') && flat.endsWith(' ')) ? ' ' : '';
  return `${fence}${pad}${flat}${pad}${fence}`;
}
