import { describe, expect, it } from 'vitest';
import { commentRecordOf, renderComment } from '../src/report/comment.js';
import { ChecksFailedError, FileError } from '../src/shared/errors.js';
import type { LocalFile } from '../src/workspace/files.js';
import { newRecord, recordEvent, type RunEvent } from '../src/report/record.js';
import { renderSummary } from '../src/report/summary.js';

// The job summary and the pull-request comment are functions of the run's record, and the record
// a fold of the run's events: tested here without a runner, a file system or a network.

const context = { name: 'ortho-2024', srs: 'EPSG:2154', datastore: 'ds-1', workspace: '/w' };
const file = (name: string, size = 400): LocalFile => ({
  localPath: `/w/rasters/${name}`,
  relativePath: name,
  remotePath: `data/${name}`,
  size,
  mtimeMs: 0,
});
const upload = { id: 'up-1', name: 'ortho-2024', status: 'OPEN' as const, rawStatus: 'OPEN', tags: {} };

function recordOf(events: RunEvent[]) {
  const record = newRecord(context);
  for (const event of events) recordEvent(record, event);
  return record;
}

describe('the run record', () => {
  it('folds what each stage said: files, the upload, each file, the checks, the end', () => {
    const [a, b] = [file('a.tif'), file('b.tif')];
    const record = recordOf([
      { type: 'files', files: [a, b] },
      { type: 'upload', upload, how: 'created' },
      { type: 'file', file: a, outcome: 'sent', attempts: 2, ms: 5 },
      { type: 'file', file: b, outcome: 'present', attempts: 0, ms: 0 },
      { type: 'retry', what: 'data/a.tif', attempt: 1, reason: 'HTTP 503', delayMs: 10 },
      { type: 'status', status: 'CHECKING' },
      { type: 'checks', checks: [{ id: 'c1', name: 'Vérification raster', status: 'PROGRESS' }], polls: 1 },
      { type: 'warning', message: 'careful' },
      { type: 'end', result: { upload, status: 'CLOSED', uploaded: 1, checks: [], dryRun: false } },
    ]);
    expect(record).toMatchObject({ uploadId: 'up-1', status: 'CLOSED', uploaded: 1, retries: 1, warnings: ['careful'] });
    expect([...record.rows.values()].map((r) => [r.file.remotePath, r.outcome, r.attempts])).toEqual([
      ['data/a.tif', 'sent', 2],
      ['data/b.tif', 'present', 0],
    ]);
    expect(record.checks.map((c) => c.status)).toEqual(['PROGRESS']);
  });
});

describe('renderSummary', () => {
  it('a failed check: the brief headline, the table of checks, its error lines with their time', () => {
    const line = '2026-07-02 06:05:20,394ERROR||cli||237||Incohérence avec le SRS du fichier /mnt/upload/data/a.tif';
    const checks = [{ id: 'c1', name: 'Vérification raster', status: 'FAILURE' as const, errorLines: [line] }];
    const html = renderSummary(
      recordOf([
        { type: 'files', files: [file('a.tif')] },
        { type: 'upload', upload, how: 'resumed' },
        {
          type: 'end',
          result: { upload, status: 'UNSTABLE', uploaded: 0, checks, dryRun: false },
          error: new ChecksFailedError(['Vérification raster']),
        },
      ]),
    );
    expect(html).toContain('<h2>❌ Géoplateforme upload ortho-2024</h2>');
    expect(html).toContain('<p><strong>Check failed: Vérification raster; the upload is UNSTABLE</strong></p>');
    expect(html).toContain('<tr><th>Status</th><td>UNSTABLE</td></tr>');
    expect(html).toContain('<li><code>2026-07-02 06:05:20</code> Incohérence avec le SRS du fichier /mnt/upload/data/a.tif</li>');
  });

  it('10,000 files with long names and 10,000 error lines: under 1 MiB, saying what it left out', () => {
    const long = 'x'.repeat(200);
    const files = Array.from({ length: 10_000 }, (_, i) => file(`${long}_${i}.tif`));
    const errorLines = Array.from(
      { length: 10_000 },
      (_, i) => `2026-07-02 06:05:20,394ERROR||cli||237||Incohérence avec le SRS du fichier /mnt/${long}_${i}.tif`,
    );
    const html = renderSummary(
      recordOf([
        { type: 'files', files },
        ...files.map((f): RunEvent => ({ type: 'file', file: f, outcome: 'sent', attempts: 1, ms: 1 })),
        {
          type: 'end',
          result: {
            status: 'UNSTABLE',
            uploaded: 10_000,
            dryRun: false,
            checks: [{ id: 'c', name: 'Vérification raster', status: 'FAILURE', errorLines }],
          },
          error: new Error('checks failed'),
        },
      ]),
    );
    expect(Buffer.byteLength(html)).toBeLessThan(1024 * 1024);
    expect(html).toMatch(/10000 file\(s\), 4\.0 MB: 10000 sent/);
    expect(html).toMatch(/… and 9000 more files not shown/);
    expect(html.match(/<tr><td><code>data\//g)).toHaveLength(1000);
    expect(html).toMatch(/Vérification raster: 10000 error line\(s\)/);
    expect(html.match(/<li>/g)).toHaveLength(200);
    expect(html).toMatch(/… 9800 more lines not shown/);
  });

  it('escapes what comes from outside: a file name is text, never markup', () => {
    const html = renderSummary(recordOf([{ type: 'files', files: [file('<img src=x>.tif')] }, { type: 'end' }]));
    expect(html).toContain('<code>data/&#60;img src=x&#62;.tif</code>');
    expect(html).not.toContain('<img src=x>');
  });
});

describe('the comment of a record', () => {
  it('names each file from the repository, refused or to send, and says the verdict', () => {
    const [good, bad] = [file('good.tif'), file('bad.tif')];
    const refused = new FileError(
      [{ kind: 'srs', paths: ['rasters/bad.tif'], problem: 'is in EPSG:4326, not EPSG:2154' }],
      '1 file refused',
    );
    const record = recordOf([
      { type: 'files', files: [good, bad] },
      {
        type: 'place',
        file: good,
        epsg: 2154,
        ring: [
          [2.3, 48.8],
          [2.4, 48.8],
          [2.4, 48.9],
          [2.3, 48.8],
        ],
      },
      { type: 'end', error: refused },
    ]);
    const comment = commentRecordOf(record);
    expect(comment.files.map((f) => [f.path, f.outcome])).toEqual([
      ['rasters/good.tif', 'to send'],
      ['rasters/bad.tif', 'refused'],
    ]);
    expect(comment.verdict).toEqual({ ok: false, message: '1 file refused' });
    const body = renderComment(comment);
    expect(body).toContain('**The run would fail:** `1 file refused`');
    expect(body).toContain('```geojson');
  });

  it('a 400-file plan with 399 already there says 1 to send, and lists that file first', () => {
    const files = Array.from({ length: 400 }, (_, i) => file(`t_${String(i).padStart(3, '0')}.tif`));
    const last = files[399];
    const record = recordOf([
      { type: 'files', files },
      { type: 'plan', toSend: [last], present: files.slice(0, 399), extra: [], prune: true },
    ]);
    const body = renderComment(commentRecordOf(record));
    expect(body).toContain('- **Files**: 400, 160.0 KB: 1 to send, 399 already there');
    const firstRow = body.split('\n').find((line) => line.startsWith('| `data/'));
    expect(firstRow).toContain('`data/t_399.tif`');
    expect(firstRow).toContain('to send');
  });
});
