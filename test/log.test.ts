import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { LocalFile } from '../src/workspace/files.js';
import { InputError } from '../src/shared/errors.js';
import * as core from '@actions/core';
import { Reporter } from '../src/report/reporter.js';
import { GitHubSink } from '../src/report/sink.js';

// The log writer and the one-line failure, through the reporter: progress of big files (the clock
// under the test's control), and a bug told from a user's mistake.

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
    const reporter = new Reporter({ name: 'n', srs: 'EPSG:2154', datastore: 'd' }, new GitHubSink(core));
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
    const reporter = new Reporter({ name: 'n', srs: 'EPSG:2154', datastore: 'd' }, new GitHubSink(core));
    await reporter.finish(undefined, new TypeError("Cannot read properties of undefined (reading 'size')"));
    expect(lines.filter((l) => l.startsWith('::error::'))).toEqual([
      "::error::Unexpected error: Cannot read properties of undefined (reading 'size'). This is a bug in the action, not in your inputs: please report it with this log",
    ]);
    // Its stack is in the log, for whoever fixes it.
    expect(lines.some((l) => l.startsWith('TypeError: Cannot read properties'))).toBe(true);
  });

  it('says a user mistake as it is, on one line', async () => {
    const reporter = new Reporter({ name: 'n', srs: 'EPSG:2154', datastore: 'd' }, new GitHubSink(core));
    await reporter.finish(undefined, new InputError('srs', "'2154' is not an EPSG code"));
    expect(lines.filter((l) => l.startsWith('::error::'))).toEqual(["::error::Input 'srs': '2154' is not an EPSG code"]);
  });
});
