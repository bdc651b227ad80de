import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import type { Emulator } from '../emulator/server.js';
import { ROOT, runAction } from '../scripts/action-runner.js';
import { actionInputs, harness } from './support/harness.js';
import { fixture, writeTiles } from './support/workspace.js';

// What a user reads: the log, the annotations and the summary, on the run page and locally.

const TOKEN = 'page-token';
const { emulator, workspace } = harness({ staticTokens: [TOKEN] });
const inputs = (emu: Emulator, extra: Record<string, string> = {}) => actionInputs(emu, TOKEN, extra);
const run$ = promisify(execFile);

describe('the run page', () => {
  it('leaves out the files GDAL writes beside rasters, in one notice, and publishes the rest', async () => {
    const emu = await emulator();
    const dir = await workspace({
      'rasters/ortho/ortho_650000_6860000.tif.aux.xml': '<PAMDataset/>',
      'rasters/scans/scan_1950.tif.ovr': 'x',
    });
    const run = await runAction({ workspace: dir, inputs: inputs(emu) });
    expect(run.exitCode, run.stdout).toBe(0);
    expect(run.stdout.match(/^::notice::.*$/gm)).toEqual([
      '::notice::Left out 2 file(s) that GDAL writes beside rasters, which the platform does not take: rasters/ortho/ortho_650000_6860000.tif.aux.xml, rasters/scans/scan_1950.tif.ovr',
    ]);
    expect(run.outputs.files).toBe('6');
  });

  it('a layer: the title says what happened to it, and its services are links a GIS user opens', async () => {
    const emu = await emulator({ staticTokens: [TOKEN], layers: { pyramidDurationMs: 40, publishDelayMs: 20 } });
    const dir = await workspace();
    const run = await runAction({ workspace: dir, inputs: inputs(emu, { layer: 'ortho_2024', services: 'wmts,wms' }) });
    expect(run.exitCode, run.stdout).toBe(0);
    const { marked } = await import('marked');
    const page = await marked.parse(run.summary, { gfm: true });
    expect(page).toMatch(/<h2>✅ Layer ortho_2024 created from 6 files<\/h2>/);
    expect(page).toMatch(
      /<a href="http:\/\/127\.0\.0\.1:\d+\/[^"]*wmts\?SERVICE=WMTS(&amp;|&#38;)REQUEST=GetCapabilities">WMTS GetCapabilities<\/a>/,
    );
    expect(page).toMatch(
      /<a href="http:\/\/127\.0\.0\.1:\d+\/[^"]*\?SERVICE=WMS(&amp;|&#38;)REQUEST=GetCapabilities">WMS GetCapabilities<\/a>/,
    );
    expect(page).toMatch(/<a href="http:\/\/127\.0\.0\.1:\d+\/[^"]*tms\/[^"]*">TMS<\/a>/);
    // The preview is a picture the layer's service answers, and the links answer too.
    const src = /<img src="([^"]+)"/.exec(run.summary)?.[1]?.replace(/&#38;|&amp;/g, '&');
    expect(src).toBeDefined();
    const image = await fetch(src!);
    expect(image.headers.get('content-type')).toBe('image/png');
    expect(Buffer.from(await image.arrayBuffer()).subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    const capabilities = /<a href="([^"]+)">WMTS GetCapabilities/.exec(run.summary)![1].replace(/&#38;|&amp;/g, '&');
    expect(await (await fetch(capabilities)).text()).toContain('<Name>ortho_2024</Name>');
  });

  it('a refused file: an annotation on the file, a headed problem table, no list of files not sent', async () => {
    const emu = await emulator();
    const dir = await workspace({ 'rasters/wgs.tif': await fixture('geotiff-4326.tif') });
    const run = await runAction({ workspace: dir, inputs: inputs(emu) });
    expect(run.exitCode).toBe(1);
    expect(run.stdout).toContain('::warning title=Refused before sending,file=rasters/wgs.tif::EPSG:4326, not EPSG:2154');
    expect(run.summary).toContain('<h3>Refused before sending</h3>');
    expect(run.summary).toContain('<tr><td><code>rasters/wgs.tif</code></td><td>EPSG:4326, not EPSG:2154</td></tr>');
    expect(run.summary).not.toMatch(/not sent/);
  });

  it('a failed check: the summary does not send the reader to the summary', async () => {
    const emu = await emulator();
    const dir = await workspace();
    const upload = emu.store.createUpload({ name: 'ortho-2024', description: 'x', type: 'RASTER', srs: 'EPSG:2154' });
    await emu.store.addFile(upload, 'data/wgs84.tif', path.join(ROOT, 'test', 'fixtures', 'geotiff-4326.tif'));
    const run = await runAction({ workspace: dir, inputs: inputs(emu, { 'upload-id': upload._id, prune: 'false' }) });
    expect(run.exitCode).toBe(1);
    expect(run.errors.at(-1)).toMatch(/See the job summary for the error lines$/);
    // The first error line's message, without the platform's prefix.
    expect(run.summary).toContain(
      '<p><strong>Check failed: Vérification raster; the upload is UNSTABLE (Incohérence avec le SRS du fichier /mnt/upload/data/wgs84.tif)</strong></p>',
    );
    expect(run.summary).not.toContain('See the job summary');
    // A list item, which wraps on GitHub, so the file name at the end of the line stays in sight.
    expect(run.summary).toMatch(
      /<li><code>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d<\/code> Incohérence avec le SRS du fichier \/mnt\/upload\/data\/wgs84\.tif<\/li>/,
    );
    expect(run.summary).not.toContain('<pre>');
  });

  it('a dry run says so in the log and prints its plan there, file by file', async () => {
    const emu = await emulator();
    const dir = await workspace();
    const old = emu.store.createUpload({ name: 'ortho-2024', description: 'x', type: 'RASTER', srs: 'EPSG:2154' });
    const run = await runAction({ workspace: dir, inputs: inputs(emu, { 'dry-run': 'true', 'if-exists': 'replace' }) });
    expect(run.exitCode, run.stdout).toBe(0);
    expect(run.stdout).toContain('Dry run: the datastore is read, never changed; the plan follows');
    expect(run.stdout).toContain(`Would delete upload ${old._id} (OPEN) (if-exists: replace)`);
    expect(run.stdout).toMatch(/^\+ data\/scans\/scan_1950\.tif 175 B: to send$/m);
    expect(run.stdout.match(/^\+ data\//gm)).toHaveLength(6);
    expect(run.summary).toContain('<tr><th>Status</th><td>to be created</td></tr>');
    expect(run.summary).toContain(`<tr><th>Would delete</th><td>${old._id} (OPEN)</td></tr>`);
    expect(emu.requests.filter((r) => r.method !== 'GET')).toEqual([]);
  });

  it('nothing listening at api-url: the run ends at the first refused connection, without retrying for half a minute', async () => {
    const emu = await emulator();
    const run = await runAction({ workspace: await workspace(), inputs: inputs(emu, { 'api-url': 'http://127.0.0.1:9/api' }) });
    expect(run.exitCode).toBe(1);
    expect(run.stdout).not.toMatch(/retrying in/);
    expect(run.errors).toEqual([
      expect.stringMatching(/ECONNREFUSED.*nothing answers at http:\/\/127\.0\.0\.1:9\/api: check input 'api-url'/),
    ]);
  });

  it('an API that does not answer: the error names api-url, and how to start the emulator', async () => {
    const emu = await emulator();
    const dir = await workspace();
    const closed = inputs(emu, { retries: '1', 'api-url': 'http://127.0.0.1:9/api' });
    const run = await runAction({ workspace: dir, inputs: closed });
    expect(run.exitCode).toBe(1);
    expect(run.errors).toHaveLength(1);
    expect(run.errors[0]).toMatch(
      /ECONNREFUSED.*; nothing answers at http:\/\/127\.0\.0\.1:9\/api: check input 'api-url' \(for a local run, start the emulator: npm run emulator\)$/,
    );
  });
});

describe('running it locally', () => {
  it('npm run local without a .env file says what to do, in one line', async () => {
    const error = await run$(
      process.execPath,
      [path.join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs'), 'scripts/local.ts', 'no-such.env'],
      {
        cwd: ROOT,
      },
    ).catch((e: { code: number; stdout: string; stderr: string }) => e);
    expect('code' in error && error.code).toBe(1);
    expect(error.stdout).toBe('');
    expect(error.stderr.trim().split('\n')).toEqual([
      'No no-such.env: copy the example first (cp .env.example .env), start the emulator (npm run emulator &), then npm run local',
    ]);
  });

  it('npm run demo shows the log as a run page does: no debug lines, no empty group', async () => {
    const { stdout } = await run$(process.execPath, [path.join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs'), 'scripts/demo.ts'], {
      cwd: ROOT,
      env: { ...process.env, RUNNER_DEBUG: '', ACTION_BUNDLE: process.env.ACTION_BUNDLE },
    });
    expect(stdout).not.toContain('::debug::');
    expect(stdout).not.toContain('::add-mask::');
    const lines = stdout.split('\n');
    const groups = lines.flatMap((line, i) => (line.startsWith('▶ ') ? [i] : []));
    expect(groups.length).toBeGreaterThan(4);
    for (const i of groups) expect(lines[i + 1], lines[i]).not.toMatch(/^▶ |^$/);
    expect(stdout).toMatch(
      /Published in [\d.]+ s: upload CLOSED, layer demo_orthophoto served by WMTS, TMS, WMS, its metadata record [\w-]+ in the catalogue\./,
    );
    // The promise, shown: one tile changed is one tile sent; a re-run changes nothing.
    expect(stdout).toMatch(/updated incrementally: update incremental, 1 file\(s\) changed, 1 sent/);
    expect(stdout).toMatch(/update unchanged, 0 file\(s\) changed, 0 sent/);
  }, 60_000);
});

describe('reports of failures and of many files', () => {
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
