import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { LocalFile } from '../src/files.js';
import { InputError } from '../src/errors.js';
import { Reporter } from '../src/report.js';

// A unit of the reporter: the log it writes for big files, with the clock under the test's control.

const big: LocalFile = { localPath: '/w/r/big.tif', relativePath: 'big.tif', remotePath: 'data/big.tif', size: 4_000_000_000, mtimeMs: 0 };
let lines: string[];

beforeEach(() => {
  lines = [];
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(0);
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    lines.push(...String(chunk).split('\n').filter(Boolean));
    return true;
  });
});
afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

describe('Reporter', () => {
  it('logs the progress of a big file at most every 10 s, then one line when it ends', () => {
    const reporter = new Reporter({ name: 'n', srs: 'EPSG:2154', datastore: 'd' });
    const progress = (atMs: number, bytes: number) => {
      vi.setSystemTime(atMs);
      reporter.onEvent({ type: 'file-progress', file: big, bytes });
    };
    progress(0, 1e6);
    progress(5_000, 1e8);
    progress(9_999, 2e8);
    progress(10_000, 1e9);
    progress(15_000, 1.5e9);
    progress(20_500, 2e9);
    vi.setSystemTime(40_000);
    reporter.onEvent({ type: 'file', file: big, outcome: 'sent', attempts: 2, ms: 40_000 });
    // Log lines only: without GITHUB_OUTPUT, core falls back to ::set-output commands.
    expect(lines.filter((l) => !l.startsWith('::'))).toEqual([
      '  … data/big.tif: 1.0 GB of 4.0 GB (25%)',
      '  … data/big.tif: 2.0 GB of 4.0 GB (50%)',
      '✓ data/big.tif 4.0 GB in 40.0 s (100.0 MB/s), 2 attempts',
    ]);
  });

  it('tells a bug from a user mistake', async () => {
    const reporter = new Reporter({ name: 'n', srs: 'EPSG:2154', datastore: 'd' });
    await reporter.finish(undefined, new TypeError("Cannot read properties of undefined (reading 'size')"));
    expect(lines.filter((l) => l.startsWith('::error::'))).toEqual([
      "::error::Unexpected error: Cannot read properties of undefined (reading 'size'). This is a bug in the action, not in your inputs: please report it with this log",
    ]);
    // Its stack is in the log, for whoever fixes it.
    expect(lines.some((l) => l.startsWith('TypeError: Cannot read properties'))).toBe(true);
  });

  it('says a user mistake as it is, on one line', async () => {
    const reporter = new Reporter({ name: 'n', srs: 'EPSG:2154', datastore: 'd' });
    await reporter.finish(undefined, new InputError('srs', "'2154' is not an EPSG code"));
    expect(lines.filter((l) => l.startsWith('::error::'))).toEqual(["::error::Input 'srs': '2154' is not an EPSG code"]);
  });

  it('10,000 files with long names and 10,000 error lines: the summary stays under 1 MiB and says what it left out', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'summary-'));
    const summaryFile = path.join(dir, 'summary');
    await writeFile(summaryFile, '');
    const saved = process.env.GITHUB_STEP_SUMMARY;
    process.env.GITHUB_STEP_SUMMARY = summaryFile;
    try {
      const reporter = new Reporter({ name: 'n', srs: 'EPSG:2154', datastore: 'd' });
      const long = 'x'.repeat(200);
      const files: LocalFile[] = Array.from({ length: 10_000 }, (_, i) => ({
        localPath: `/w/r/${long}_${i}.tif`,
        relativePath: `${long}_${i}.tif`,
        remotePath: `data/${long}_${i}.tif`,
        size: 400,
        mtimeMs: 0,
      }));
      reporter.files(files);
      for (const file of files) reporter.onEvent({ type: 'file', file, outcome: 'sent', attempts: 1, ms: 1 });
      const errorLines = Array.from(
        { length: 10_000 },
        (_, i) => `2026-07-02 06:05:20,394ERROR||cli||237||Incohérence avec le SRS du fichier /mnt/${long}_${i}.tif`,
      );
      await reporter.finish(
        {
          status: 'UNSTABLE',
          uploaded: 10_000,
          dryRun: false,
          checks: [{ id: 'c', name: 'Vérification raster', status: 'FAILURE', errorLines }],
        },
        new Error('checks failed'),
      );
      const summary = await readFile(summaryFile, 'utf8');
      expect(Buffer.byteLength(summary)).toBeLessThan(1024 * 1024);
      expect(summary).toMatch(/10000 file\(s\), 4\.0 MB: 10000 sent/);
      expect(summary).toMatch(/… and 9000 more files not shown/);
      expect(summary.match(/<tr><td><code>data\//g)).toHaveLength(1000);
      expect(summary).toMatch(/Vérification raster: 10000 error line\(s\)/);
      expect(summary.match(/<li>/g)).toHaveLength(200);
      expect(summary).toMatch(/… 9800 more lines not shown/);
    } finally {
      process.env.GITHUB_STEP_SUMMARY = saved;
      await rm(dir, { recursive: true, force: true });
    }
  });
});
