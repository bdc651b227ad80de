import { describe, expect, it } from 'vitest';
import type { Emulator } from '../emulator/server.js';
import { actionInputs, harness } from './support/harness.js';
import { runAction } from '../scripts/action-runner.js';
import { writeTiles } from './support/workspace.js';

const TOKEN = 'report-token';
const { emulator, workspace } = harness({ staticTokens: [TOKEN] });

const inputs = (emu: Emulator, extra: Record<string, string> = {}) => actionInputs(emu, TOKEN, extra);

describe('reports', () => {
  it('a failure midway through the files: the failed file, its attempts, and what was sent', async () => {
    const emu = await emulator();
    const dir = await workspace();
    emu.faults.add({
      route: 'postData',
      pathMatches: /scan_1950\.tif$/,
      fault: { status: 500, body: JSON.stringify({ error_description: ['Stockage indisponible'] }) },
    });
    const run = await runAction({ workspace: dir, inputs: inputs(emu, { retries: '2', concurrency: '1' }) });
    expect(run.exitCode).toBe(1);
    expect(run.errors).toEqual(['::error::Could not send data/scans/scan_1950.tif after 2 attempts: HTTP 500: Stockage indisponible']);
    // Files go in path order, one at a time: the five before it (its .tfw sorts first) were sent.
    expect(run.outputs).toMatchObject({ 'upload-id': emu.liveUploads()[0]._id, status: 'OPEN', files: '6', uploaded: '5' });
    expect(run.summary).toContain(
      '<tr><td><code>data/scans/scan_1950.tif</code></td><td>175 B</td><td>failed: HTTP 500: Stockage indisponible</td><td>2</td></tr>',
    );
    expect(run.summary).toMatch(/6 file\(s\), 4\.0 KB: 5 sent, 1 failed\./);
    // Failed files come first in the table.
    expect(run.summary.indexOf('scan_1950.tif</code>')).toBeLessThan(run.summary.indexOf('mnt_650000'));
    // Retries are log lines, and one warning sums them up (GitHub shows at most 10 annotations).
    expect(run.stdout).toMatch(/^data\/scans\/scan_1950\.tif: attempt 1 failed \(HTTP 500: Stockage indisponible\); retrying in \d/m);
    expect(run.stdout.match(/^::warning::.*$/gm)).toEqual([
      '::warning::1 attempt(s) failed on transient errors and were retried (see the log); the network or the API was unsteady',
    ]);
    expect(emu.requests.some((r) => r.route === 'close')).toBe(false);
    // A 500 is the server's own answer: one look at the tree after each (2), no wait for it to lag;
    // the tree of the upload the run just created is not read (it is empty).
    expect(emu.requests.filter((r) => r.route === 'tree')).toHaveLength(2);
  });

  it('more files than the summary lists: the cap, and what it left out, with the real bundle', async () => {
    const emu = await emulator();
    const dir = await workspace({}, false);
    const tif = await writeTiles(dir, 12, 100);
    const run = await runAction({ workspace: dir, inputs: inputs(emu, { concurrency: '8' }) });
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.outputs).toMatchObject({ files: '1200', uploaded: '1200', status: 'CLOSED', bytes: String(1200 * tif.length) });
    expect(run.summary).toMatch(/1200 file\(s\), 469\.2 KB: 1200 sent/);
    expect(run.summary).toMatch(/… and 200 more files not shown/);
    expect(run.summary.match(/<tr><td><code>data\//g)).toHaveLength(1000);
    // One line per file in the log.
    expect(run.stdout.match(/^✓ data\//gm)).toHaveLength(1200);
  }, 120_000);
});
