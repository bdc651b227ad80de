import { mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Emulator, EmulatorOptions } from '../emulator/server.js';
import { actionInputs, harness } from './support/harness.js';
import { runAction, type ActionRun } from '../scripts/action-runner.js';
import { FIXTURES, fixture } from './support/workspace.js';

// The bundle, spawned as the GitHub runner spawns it: INPUT_* variables, GITHUB_OUTPUT and
// GITHUB_STEP_SUMMARY files, GITHUB_WORKSPACE as the working directory.

const TOKEN = 'e2e-token-5f1c9a';
const { emulator, workspace } = harness({ staticTokens: [TOKEN] });

const inputs = (emu: Emulator, extra: Record<string, string> = {}) => actionInputs(emu, TOKEN, extra);

function expectOneError(run: ActionRun, pattern: RegExp) {
  expect(run.exitCode).toBe(1);
  expect(run.errors).toHaveLength(1);
  expect(run.errors[0]).toMatch(pattern);
}

beforeAll(() => {
  // A bundle built from today's src/ for this run (test/support/build-bundle.ts), not dist/.
  expect(process.env.ACTION_BUNDLE).toMatch(/action-bundle-.*index\.js$/);
});

describe('the bundle, spawned as the runner does', () => {
  it('publishes GeoTIFFs in sub-folders, a TIFF+TFW pair, a JPEG2000 and an awkward name into one CLOSED upload', async () => {
    const emu = await emulator();
    const awkward = await fixture('geotiff-2154.tif');
    const dir = await workspace({ 'rasters/ortho/é t#&+%.tif': awkward });
    const run = await runAction({ workspace: dir, inputs: inputs(emu, { tags: 'datasheet_name=ortho-2024' }) });
    expect(run.exitCode, run.stdout).toBe(0);
    expect(run.errors).toEqual([]);

    const [upload] = emu.liveUploads();
    expect(emu.store.uploads.size).toBe(1);
    expect(run.outputs).toMatchObject({ 'upload-id': upload._id, status: 'CLOSED', files: '7', uploaded: '7', 'checks-failed': '0' });
    const files = [
      'mnt/mnt_650000_6860000.jp2',
      'ortho/2024/ortho_650000_6859680.tif',
      'ortho/ortho_650000_6860000.tif',
      'ortho/ortho_650320_6860000.tif',
      'ortho/é t#&+%.tif',
      'scans/scan_1950.tfw',
      'scans/scan_1950.tif',
    ];
    let bytes = 0;
    for (const file of files) {
      const local = await readFile(path.join(dir, 'rasters', file));
      bytes += local.length;
      expect(await readFile(upload.files.get(`data/${file}`)!.diskPath)).toEqual(local);
    }
    expect([...upload.files.keys()].filter((p) => p.startsWith('data/')).sort()).toEqual(files.map((f) => `data/${f}`).sort());
    expect(run.outputs.bytes).toBe(String(bytes));
    const checks = JSON.parse(run.outputs.checks) as Array<{ id: string; name: string; status: string }>;
    expect(checks.map((c) => [c.name, c.status]).sort()).toEqual([
      ['Vérification raster', 'SUCCESS'],
      ['Vérification standard', 'SUCCESS'],
    ]);
    expect(checks.every((c) => emu.store.executions.has(c.id))).toBe(true);

    // Provenance tags trace the upload back to the run.
    expect(upload.tags).toEqual({
      datasheet_name: 'ortho-2024',
      github_repository: 'ign-team/rasters',
      github_sha: '0123456789abcdef0123456789abcdef01234567',
      github_run_url: 'https://github.com/ign-team/rasters/actions/runs/4242',
    });
    // The summary shows the upload, the files and the checks, with outside text escaped.
    expect(run.summary).toContain(upload._id);
    expect(run.summary).toContain('<code>data/ortho/é t#&#38;+%.tif</code>');
    expect(run.summary).toMatch(/Vérification raster<\/td><td>SUCCESS/);
    expect(run.stdout).toContain(`::notice title=Géoplateforme upload::Upload ${upload._id} is CLOSED`);
  });

  it('fails UNSTABLE with the check ERROR lines in the summary and an annotation', async () => {
    const emu = await emulator();
    const dir = await workspace();
    // A file in the wrong SRS already sits in the upload (sent by another tool): only the
    // server's check can see it.
    const upload = emu.store.createUpload({ name: 'ortho-2024', description: 'x', type: 'RASTER', srs: 'EPSG:2154' });
    await emu.store.addFile(upload, 'data/wgs84.tif', path.join(FIXTURES, 'geotiff-4326.tif'));

    // prune: false keeps it there (by default a file no pattern matches is deleted before closing).
    const run = await runAction({ workspace: dir, inputs: inputs(emu, { 'upload-id': upload._id, prune: 'false' }) });
    expect(run.exitCode).toBe(1);
    expect(run.outputs).toMatchObject({ 'upload-id': upload._id, status: 'UNSTABLE', 'checks-failed': '1', uploaded: '6' });
    expect(run.summary).toMatch(/Incohérence avec le SRS du fichier \/mnt\/upload\/data\/wgs84\.tif/);
    expect(run.summary).toMatch(/<details open><summary>Vérification raster: 1 error line/);
    const annotations = run.stdout.split('\n').filter((l) => l.startsWith('::error'));
    expect(annotations).toHaveLength(2); // one per failed check, then the step's failure
    // The runner's command format encodes ':' in properties as %3A.
    expect(annotations[0]).toMatch(/^::error title=Check failed%3A Vérification raster::.*Incohérence avec le SRS du fichier/);
    expect(annotations[1]).toMatch(/Check failed: Vérification raster; the upload is UNSTABLE/);
  });

  it('resumes after close: false without sending anything twice', async () => {
    const emu = await emulator();
    const dir = await workspace();
    const first = await runAction({ workspace: dir, inputs: inputs(emu, { close: 'false' }) });
    expect(first.exitCode, first.stdout).toBe(0);
    expect(first.outputs).toMatchObject({ status: 'OPEN', uploaded: '6' });
    expect(first.outputs).toMatchObject({ checks: '[]', 'checks-failed': '0' });
    const second = await runAction({ workspace: dir, inputs: inputs(emu) });
    expect(second.exitCode, second.stdout).toBe(0);
    expect(second.outputs).toMatchObject({ 'upload-id': first.outputs['upload-id'], status: 'CLOSED', uploaded: '0', files: '6' });
    expect(emu.requests.filter((r) => r.route === 'postData')).toHaveLength(6);
    expect(emu.store.uploads.size).toBe(1);
    expect(second.summary).toMatch(/6 already there/);
  });

  it('refuses a misspelt input before anything is sent: dry_run does not publish for real', async () => {
    const emu = await emulator();
    const dir = await workspace();
    const { ['dry-run']: _dry, ...rest } = inputs(emu);
    const run = await runAction({ workspace: dir, inputs: { ...rest, dry_run: 'true', layer_title: 'x' } });
    expectOneError(run, /^::error::Input 'dry_run': is not an input of this action \(and layer_title\); did you mean dry-run\?/);
    expect(emu.requests).toHaveLength(0);
  });

  it('refuses a world file linked outside the workspace, naming the link, and never shows what the file holds', async () => {
    const emu = await emulator();
    const secretDir = await mkdtemp(path.join(os.tmpdir(), 'secret-'));
    const secret = path.join(secretDir, 'credentials');
    await writeFile(secret, 'ghp_FAKE-SECRET-1b2c3d4e5f\nline two\n');
    const dir = await workspace();
    await rm(path.join(dir, 'rasters', 'scans', 'scan_1950.tfw'));
    await symlink(secret, path.join(dir, 'rasters', 'scans', 'scan_1950.tfw'));
    try {
      const run = await runAction({ workspace: dir, inputs: inputs(emu) });
      expectOneError(run, /rasters\/scans\/scan_1950\.tfw \(a link to .*credentials, outside the workspace\)/);
      for (const text of [run.stdout, run.stderr, run.summary, JSON.stringify(run.outputs)]) expect(text).not.toContain('FAKE-SECRET');
      expect(emu.requests).toHaveLength(0);
    } finally {
      await rm(secretDir, { recursive: true, force: true });
    }
  });

  it('refuses a file name with a control character before sending anything, naming it escaped', async () => {
    const emu = await emulator();
    // A CR or LF would split the MD5 file's line (the check then fails after a full send), and
    // could inject a workflow command into the log.
    const evil = 'evil\n::error::injected\n::add-mask::x.tif';
    const dir = await workspace(
      { [`rasters/${evil}`]: await fixture('geotiff-2154.tif'), 'rasters/tab\there.tif': await fixture('geotiff-2154.tif') },
      false,
    );
    const run = await runAction({ workspace: dir, inputs: inputs(emu) });
    expectOneError(
      run,
      /^::error::Input 'glob': matched 2 files whose name holds a control character \(rasters\/evil\\n::error::injected\\n::add-mask::x\.tif, rasters\/tab\\there\.tif\); rename them, or exclude them with a '!' pattern$/,
    );
    expect(emu.requests).toEqual([]);
    // The only command lines are the action's own (it masks the token).
    expect(run.stdout.split('\n').filter((line) => /^::(error::injected|add-mask::x\.tif)/.test(line))).toEqual([]);
  });

  it('plans a dry run with GET requests only', async () => {
    const emu = await emulator();
    const dir = await workspace();
    const run = await runAction({ workspace: dir, inputs: inputs(emu, { 'dry-run': 'true' }) });
    expect(run.exitCode, run.stdout).toBe(0);
    expect(run.outputs).toMatchObject({ files: '6', bytes: '3955' });
    expect(emu.requests.length).toBeGreaterThan(0);
    expect(emu.requests.filter((r) => r.method !== 'GET')).toEqual([]);
    expect(run.summary).toMatch(/dry run/);
    expect(run.summary).toMatch(/6 to send/);
  });

  it('never prints a secret', async () => {
    const emu = await emulator({ staticTokens: [], users: [{ username: 'jane', password: 'pa55-word-9' }] });
    const dir = await workspace();
    const run = await runAction({
      workspace: dir,
      inputs: inputs(emu, { token: '', username: 'jane', password: 'pa55-word-9' }),
      env: { RUNNER_DEBUG: '1' },
    });
    expect(run.exitCode, run.stdout).toBe(0);
    const issued = emu.tokensIssued.map((t) => t.token);
    expect(issued.length).toBeGreaterThan(0);
    for (const secret of ['pa55-word-9', 'BK2G7Vvkn7UDc8cV7edbCnHdYminWVw2', ...issued]) {
      // Only the runner's masking command may name it.
      const lines = run.stdout.split('\n').filter((l) => l.includes(secret));
      expect(
        lines.every((l) => l.startsWith('::add-mask::')),
        secret,
      ).toBe(true);
      expect(run.summary).not.toContain(secret);
      expect(Object.values(run.outputs).join('\n')).not.toContain(secret);
    }
    expect(run.stdout).toMatch(/::debug::POST \/api\/datastores\/.*\/data → 200/);
  });
});

describe('refused before anything is sent', () => {
  it.each([
    [{ datastore: '' }, /Input 'datastore': is required/],
    [{ glob: '' }, /Input 'glob': is required/],
    [{ name: '' }, /Input 'name': is required/],
    [{ srs: '' }, /Input 'srs': is required/],
    [{ srs: '2154' }, /Input 'srs': '2154' is not an EPSG code.*EPSG:2154/],
    [{ token: '' }, /Input 'token': no authentication given/],
    [{ 'client-id': 'svc', 'client-secret': 's' }, /give exactly one way of authenticating/],
    [{ concurrency: 'abc' }, /Input 'concurrency': 'abc' is not a whole number/],
    [{ 'checks-timeout': '-1' }, /Input 'checks-timeout': '-1' is not a positive number/],
    [{ shard: '4/3' }, /Input 'shard': '4\/3' is not i\/n/],
    [{ glob: 'nothing/**' }, /Input 'glob': matched no file/],
  ])('%j', async (override, message) => {
    const emu = await emulator();
    const dir = await workspace();
    const run = await runAction({ workspace: dir, inputs: inputs(emu, override) });
    expectOneError(run, message);
    expect(emu.requests).toEqual([]);
  });

  it.each([
    ['a .png', { 'rasters/map.png': 'png' }, /Unsupported file rasters\/map\.png.*\.tif, \.tiff, \.jp2, \.tfw/],
    [
      'the same base name twice',
      { 'rasters/a/x.tif': 'fixture:geotiff-2154.tif', 'rasters/b/x.tif': 'fixture:geotiff-2154.tif' },
      /rasters\/a\/x\.tif and rasters\/b\/x\.tif: same base name/,
    ],
    [
      'a GeoTIFF in EPSG:4326',
      { 'rasters/ok.tif': 'fixture:geotiff-2154.tif', 'rasters/wgs.tif': 'fixture:geotiff-4326.tif' },
      /1 file is not in EPSG:2154 \(input 'srs'\): rasters\/wgs\.tif \(EPSG:4326\)/,
    ],
    [
      'a TIFF with neither georeferencing nor .tfw',
      { 'rasters/plain.tif': 'fixture:plain.tif' },
      /plain\.tif: TIFF with no georeferencing and no \.tfw/,
    ],
    ['an empty file', { 'rasters/empty.tif': '' }, /empty\.tif: empty file/],
    [
      'a .tfw without its TIFF',
      { 'rasters/ok.tif': 'fixture:geotiff-2154.tif', 'rasters/lost.tfw': '1\n0\n0\n-1\n0\n0\n' },
      /lost\.tfw: world file without its TIFF/,
    ],
  ])('%s', async (_label, files, message) => {
    const emu = await emulator();
    const dir = await workspace(files, false);
    const run = await runAction({ workspace: dir, inputs: inputs(emu) });
    expectOneError(run, message);
    expect(emu.requests).toEqual([]);
    expect(run.summary).toMatch(/<th>File<\/th><th>Problem<\/th>/);
  });

  it.each([
    ['an unknown token (401)', {}, { token: 'not-a-token' }, /HTTP 401.*check the authentication inputs/],
    ['an unknown datastore (404)', {}, { datastore: 'no-such-datastore' }, /Input 'datastore': datastore no-such-datastore was not found/],
    ['a missing UPLOAD right', { rights: ['ANNEX'] }, {}, /lacks the UPLOAD right in community 'Emulated community'.*\(it has ANNEX\)/],
    ['a 403 on the datastore', {}, {}, /HTTP 403.*UPLOAD right/],
    [
      'a quota too small (uploads)',
      { quota: 3000 },
      {},
      /do not fit in the datastore's upload space: 3\.0 KB free of 3\.0 KB, 955 B missing/,
    ],
    [
      'a quota too small (upload, the older spelling)',
      { quota: 3000, storageKey: 'upload' as const },
      {},
      /do not fit in the datastore's upload space: 3\.0 KB free/,
    ],
  ])('%s', async (label, emuOptions: EmulatorOptions, override, message) => {
    const emu = await emulator(emuOptions);
    if (label === 'a 403 on the datastore')
      emu.faults.add({ route: 'datastore', fault: { status: 403, body: JSON.stringify({ error_description: ['Accès refusé'] }) } });
    const dir = await workspace();
    const run = await runAction({ workspace: dir, inputs: inputs(emu, override) });
    expectOneError(run, message);
    expect(emu.requests.filter((r) => r.method !== 'GET')).toEqual([]);
  });
});

describe('cancellation', () => {
  it('exits within 5 s of SIGINT, leaves the upload OPEN, and a re-run completes it', async () => {
    const emu = await emulator();
    const dir = await workspace();
    emu.faults.add({ route: 'postData', fault: { delayMs: 3000 } });
    let pid = 0;
    let signalledAt = 0;
    const running = runAction({
      workspace: dir,
      inputs: inputs(emu, { concurrency: '1' }),
      onSpawn: (p) => (pid = p),
      onStdout: (text) => {
        if (!signalledAt && text.includes('Send 6 files')) {
          signalledAt = Date.now();
          setTimeout(() => process.kill(pid, 'SIGINT'), 300);
        }
      },
    });
    const run = await running;
    expect(signalledAt).toBeGreaterThan(0);
    expect(Date.now() - signalledAt).toBeLessThan(5000);
    expect(run.exitCode).toBe(1);
    expect(run.errors[0]).toMatch(/Cancelled: upload .* was left OPEN; re-run the job to resume it/);
    expect(run.outputs).toMatchObject({ status: 'OPEN', 'upload-id': emu.liveUploads()[0]._id });
    expect(emu.liveUploads()[0].status).toBe('OPEN');
    // The summary of what happened is written all the same.
    expect(run.summary).toMatch(/Cancelled: upload .* was left OPEN/);
    expect(run.summary).toMatch(/<h3>Files<\/h3>/);

    emu.faults.clear();
    const rerun = await runAction({ workspace: dir, inputs: inputs(emu) });
    expect(rerun.exitCode, rerun.stdout).toBe(0);
    expect(rerun.outputs).toMatchObject({ 'upload-id': run.outputs['upload-id'], status: 'CLOSED' });
    expect(emu.store.uploads.size).toBe(1);
  });
});
