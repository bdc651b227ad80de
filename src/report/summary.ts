import type { CatalogueReport } from '../catalogue/types.js';
import { fieldLabel } from '../catalogue/labels.js';
import { ChecksFailedError, FileError, PyramidFailedError } from '../shared/errors.js';
import { failed, splitLogLine } from '../entrepot/status.js';
import { totalBytes } from '../workspace/files.js';
import { formatBytes, formatDuration } from '../shared/format.js';
import type { LayerReport } from '../layer/types.js';
import type { CheckReport, RemoteFile } from '../delivery/types.js';
import { esc, messageOf, retentionLine } from './text.js';
import type { FileRow, RunRecord } from './record.js';

/**
 * The job summary, a pure function of the run's record: the upload, what became of each file,
 * the checks and their error lines, the layer. GitHub keeps 1 MiB of summary per step; the caps
 * keep this one well under it whatever the number of files or error lines.
 */

const MAX_FILE_ROWS = 1000;
const MAX_ERROR_LINES_PER_CHECK = 200;
const MAX_LINE_CHARS = 500;

export function renderSummary(record: RunRecord): string {
  const { error, result } = record.end ?? {};
  const dryRun = result?.dryRun === true;
  const icon = error ? '❌' : dryRun ? '🔎' : '✅';
  const title = record.layer
    ? layerTitle(record.layer, record, dryRun, error !== undefined)
    : `Géoplateforme upload ${esc(record.context.name)}`;
  const out = [`<h2>${icon} ${title}${dryRun ? ' (dry run)' : ''}</h2>`];
  if (error) out.push(`<p><strong>${esc(headline(error, record))}</strong></p>`);
  if (record.layer) out.push(layerSection(record.layer));
  if (record.catalogue) out.push(metadataSection(record.catalogue));
  if (error instanceof PyramidFailedError) out.push(pyramidErrors(error));
  if (error instanceof FileError && error.problems.length) out.push(refusedFiles(error));
  out.push(uploadTable(record));
  // Refused before sending: the problems above say it all, no file list of "not sent".
  if (record.rows.size && !(error instanceof FileError)) out.push(filesSection(record, dryRun));
  if (record.extra.files.length) out.push(unmatchedFiles(record, dryRun));
  if (record.checks.length) out.push(checksSection(record.checks));
  return out.join('\n');
}

/** The fiche's record: what became of it, where the catalogue shows it, and what changed in it. */
function metadataSection(report: CatalogueReport): string {
  const link = (href: string, label: string) => (/^https?:\/\//.test(href) ? `<a href="${esc(href)}">${esc(label)}</a>` : code(href));
  const rows = [
    ['Identifier', code(report.fileIdentifier)],
    ['Record', esc(`${report.verdict}${report.metadataId ? ` (${report.metadataId})` : ''}`)],
    [
      'Catalogue',
      report.published
        ? `${link(report.catalogueUrl, 'the record in the catalogue')} · ${report.cswUrl ? link(report.cswUrl, 'CSW') : ''}`
        : esc('not published'),
    ],
  ];
  if (report.thumbnail?.url) rows.push(['Thumbnail', `${link(report.thumbnail.url, 'image')} ${esc(report.thumbnail.verdict)}`]);
  else if (report.thumbnail) rows.push(['Thumbnail', esc(`none${report.thumbnail.why ? `: ${report.thumbnail.why}` : ''}`)]);
  const changes = report.changes.length
    ? `\n<details open><summary>${report.changes.length} field(s) ${report.verdict.startsWith('would') ? 'would change' : 'changed'}</summary>\n\n${table(
        ['Field', 'Before', 'After'],
        report.changes.map((c) => [esc(fieldLabel(c.field)), esc(shortLine(c.before)) || '–', esc(shortLine(c.after)) || '–']),
      )}\n</details>`
    : '';
  return `<h3>Metadata record</h3>\n${table([], rows)}${changes}`;
}

/** The failure in the summary's own words: without the pointer to the summary where it has one. */
function headline(error: unknown, record: RunRecord): string {
  return error instanceof ChecksFailedError || error instanceof PyramidFailedError
    ? error.brief
    : messageOf(error, record.uploadId, record.status);
}

/** The layer: name, what was done, services and URLs, the pyramid, and a preview for a public layer. */
function layerSection(report: LayerReport): string {
  const sd = report.storedData;
  const parameters = Object.entries(report.parameters).map(([k, v]) => `${k} ${v}`);
  const rows: string[][] = [
    ['Layer', code(report.layer)],
    ['Action', esc(report.action)],
    ...(report.update ? [['Update', esc(`${report.update.kind}: ${report.update.why}`)]] : []),
    ['Pyramid', esc(parameters.join(', '))],
  ];
  if (sd) {
    const levels = sd.levels.map(Number).filter(Number.isFinite);
    rows.push(['Stored data', `${code(sd.id)} ${esc(sd.status)}`]);
    if (levels.length) {
      // A loop, not Math.min(...levels): no list is spread into arguments.
      const [top, bottom] = levels.reduce(([lo, hi], l) => [Math.min(lo, l), Math.max(hi, l)], [Infinity, -Infinity]);
      rows.push(['Levels', esc(`${top} to ${bottom} (${sd.tms ?? ''})`)]);
    }
    if (sd.size !== undefined) rows.push(['Size', formatBytes(sd.size)]);
  }
  for (const { type, offering } of report.services)
    rows.push([esc(type), offering ? serviceLinks(offering.urls) || esc(offering.status) : '–']);
  if (report.services.some((s) => s.offering?.open === false))
    rows.push([
      'Access',
      'private: only the keys granted access to this layer read it; grant them in the datastore (cartes.gouv.fr, Accès)',
    ]);
  if (report.fiche) rows.push(['Fiche', `<a href="${esc(report.fiche)}">the fiche de données in cartes.gouv.fr</a>`]);
  if (report.deletedPyramids.length) rows.push(['Previous pyramid', esc(`deleted: ${report.deletedPyramids.join(', ')}`)]);
  if (report.uploadDeleted) rows.push(['Upload', 'deleted (the pyramid holds the data)']);
  const preview = report.preview
    ? `\n<p><img src="${esc(report.preview)}" alt="Preview of layer ${esc(report.layer)}" width="512"></p>`
    : '';
  return `<h3>Layer ${esc(report.layer)}</h3>\n${table([], rows)}${preview}`;
}

/** What happened to the layer, in the page's title: "Layer ortho_2024 updated: incremental, 3 of 10000 files". */
function layerTitle(report: LayerReport, record: RunRecord, dryRun: boolean, failed: boolean): string {
  const name = `Layer ${esc(report.layer)}`;
  const update = report.update;
  if (failed) return `${name}: not ${update?.kind === 'created' ? 'created' : 'updated'}`;
  const of = record.rows.size;
  const said: Record<string, string> = {
    created: `created from ${of} files`,
    full: `rebuilt in full from ${of} files`,
    incremental: `updated: incremental, ${update?.changed ?? 0} of ${of} files`,
    unchanged: 'unchanged',
    reconfigured: 'reconfigured, no pyramid built',
    stale: 'left as it is: this commit is older than the live one',
  };
  const what = update ? said[update.kind] : report.action;
  return dryRun ? `${name} would be ${what}` : `${name} ${what}`;
}

/**
 * An offering's URLs as links a GIS user opens: WMTS and WMS GetCapabilities (the WMS URL is a
 * GetMap template, useless in QGIS), TMS as it is. Only http(s) URLs are links.
 */
function serviceLinks(urls: Array<{ type: string; url: string }>): string {
  const link = (label: string, href: string) =>
    /^https?:\/\//.test(href) ? `<a href="${esc(href)}">${esc(label)}</a>` : `${esc(label)}: ${code(href)}`;
  const capabilities = (url: string, service: string) => {
    const base = url.split('?')[0];
    return `${base}?SERVICE=${service}&REQUEST=GetCapabilities`;
  };
  return urls
    .map(({ type, url }) => {
      const kind = type.toUpperCase();
      if (kind === 'WMTS' || kind === 'WMS') return link(`${kind} GetCapabilities`, capabilities(url, kind));
      return link(kind || 'URL', url);
    })
    .join('<br>');
}

function pyramidErrors(error: PyramidFailedError): string {
  const items = error.errorLines
    .slice(0, MAX_ERROR_LINES_PER_CHECK)
    .map((l) => `<li>${esc(shortLine(l))}</li>`)
    .join('');
  return `<details open><summary>Pyramid execution ${esc(error.executionId)}: ${error.errorLines.length} error line(s)</summary>\n<ul>${items}</ul>\n</details>`;
}

function refusedFiles(error: FileError): string {
  const rows = error.problems.slice(0, MAX_FILE_ROWS).map((p) => [p.paths.map(code).join(' and '), esc(p.problem)]);
  const more = error.problems.length - rows.length;
  return [
    '<h3>Refused before sending</h3>',
    table(['File', 'Problem'], rows),
    ...(more > 0 ? [`<p>… and ${more} more problems not shown.</p>`] : []),
  ].join('\n');
}

function uploadTable(record: RunRecord): string {
  const planned = record.willCreate ? 'to be created' : '–';
  return table(
    [],
    [
      ['Name', esc(record.context.name)],
      ['Id', record.uploadId ? code(record.uploadId) : planned],
      ['Status', esc(record.status ?? planned)],
      ['SRS', esc(record.context.srs)],
      ['Datastore', code(record.context.datastore)],
      ...(record.replacing.length ? [['Would delete', esc(record.replacing.join(', '))]] : []),
      ...(record.retention
        ? [
            [
              'Earlier uploads',
              esc(retentionLine(record.retention.remaining, record.retention.bytes, record.retention.deleted, record.retention.keep)),
            ],
          ]
        : []),
    ],
  );
}

function filesSection(record: RunRecord, dryRun: boolean): string {
  const rows = [...record.rows.values()];
  const label: Record<FileRow['outcome'], string> = {
    sent: 'sent',
    present: 'already there',
    failed: 'failed',
    pending: dryRun ? 'to send' : 'not sent',
    unchanged: 'unchanged: the live pyramid holds it',
  };
  const counts = new Map<FileRow['outcome'], number>();
  for (const row of rows) counts.set(row.outcome, (counts.get(row.outcome) ?? 0) + 1);
  const tally = [...counts].map(([outcome, n]) => `${n} ${label[outcome]}`).join(', ');
  // Files that did nothing are a count, not rows: the table is what the run changed.
  const acted = rows.filter((r) => r.outcome !== 'unchanged');
  const shown = [...acted].sort((a, b) => ORDER[a.outcome] - ORDER[b.outcome]).slice(0, MAX_FILE_ROWS);
  const cells = shown.map((r) => [
    code(r.file.remotePath),
    formatBytes(r.file.size),
    esc(label[r.outcome] + (r.error ? `: ${shortLine(r.error)}` : '')),
    r.attempts ? String(r.attempts) : '',
  ]);
  const out = [`<h3>Files</h3><p>${rows.length} file(s), ${formatBytes(totalBytes(rows.map((r) => r.file)))}: ${tally}.</p>`];
  if (cells.length) out.push(table(['Remote path', 'Size', 'Result', 'Attempts'], cells));
  if (acted.length > shown.length)
    out.push(`<p>… and ${acted.length - shown.length} more files not shown (failed files are listed first).</p>`);
  return out.join('\n');
}

/** Failed files first, then those not sent, sent, and already there. */
const ORDER: Record<FileRow['outcome'], number> = { failed: 0, pending: 1, sent: 2, present: 3, unchanged: 4 };

function unmatchedFiles(record: RunRecord, dryRun: boolean): string {
  const { files, prune, deleted } = record.extra;
  const state = (f: RemoteFile) =>
    deleted.has(f.remotePath) ? 'deleted' : !prune ? 'kept (prune: false)' : dryRun ? 'to delete' : 'not deleted';
  const rows = files.slice(0, MAX_FILE_ROWS).map((f) => [code(f.remotePath), formatBytes(f.size), esc(state(f))]);
  const out = [`<h3>Files no pattern matches</h3><p>${files.length} file(s) in the upload, ${formatBytes(totalBytes(files))}.</p>`];
  out.push(table(['Remote path', 'Size', 'Result'], rows));
  if (files.length > MAX_FILE_ROWS) out.push(`<p>… and ${files.length - MAX_FILE_ROWS} more not shown.</p>`);
  return out.join('\n');
}

function checksSection(checks: CheckReport[]): string {
  const out = [
    '<h3>Checks</h3>',
    table(
      ['Check', 'Status', 'Duration'],
      checks.map((c) => [esc(c.name), esc(c.status), duration(c.start, c.finish)]),
    ),
  ];
  for (const check of failed(checks)) {
    const lines = check.errorLines.slice(0, MAX_ERROR_LINES_PER_CHECK).map(shortLine);
    const more = check.errorLines.length - lines.length;
    // A list, not a <pre>: GitHub's styles do not wrap a <pre>, and the file name a line ends
    // with is what would be cut off. The time leads each line; the platform's prefix goes.
    const items = lines.map((line) => {
      const { time, message } = splitLogLine(line);
      return `<li>${time ? `<code>${esc(time)}</code> ` : ''}${esc(message)}</li>`;
    });
    out.push(
      `<details open><summary>${esc(check.name)}: ${check.errorLines.length} error line(s)</summary>\n<ul>${items.join('')}</ul>${more > 0 ? `<p>… ${more} more lines not shown.</p>` : ''}\n</details>`,
    );
  }
  return out.join('\n');
}

function duration(start?: string, finish?: string): string {
  if (!start || !finish) return '';
  const ms = Date.parse(finish) - Date.parse(start);
  if (!Number.isFinite(ms) || ms < 0) return '';
  return formatDuration(ms);
}

function shortLine(line: string): string {
  return line.length > MAX_LINE_CHARS ? `${line.slice(0, MAX_LINE_CHARS)}…` : line;
}

function code(text: string): string {
  return `<code>${esc(text)}</code>`;
}

/** An HTML table; with no head, a key-value table whose first column is bold. */
function table(head: string[], rows: string[][]): string {
  const th = head.length ? `<tr>${head.map((h) => `<th>${h}</th>`).join('')}</tr>\n` : '';
  const cells = (r: string[]) => r.map((c, i) => (head.length || i > 0 ? `<td>${c}</td>` : `<th>${c}</th>`)).join('');
  return `<table>\n${th}${rows.map((r) => `<tr>${cells(r)}</tr>`).join('\n')}\n</table>`;
}
