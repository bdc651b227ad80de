import { readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderComment, MAX_COMMENT_CHARS } from '../src/report/comment.js';
import type { CommentFile } from '../src/report/comment-types.js';
import type { Emulator } from '../emulator/server.js';
import { ROOT, runAction } from '../scripts/action-runner.js';
import { GitHubApi } from '../emulator/github.js';
import { actionInputs, harness } from './support/harness.js';
import { fixture } from './support/workspace.js';

// The pull-request preview (issue 12): the bundle spawned as the runner does on a pull_request
// event, against the API emulator and a stand-in for GitHub's comment routes.

const TOKEN = 'preview-token';
const { emulator, workspace, defer } = harness({ staticTokens: [TOKEN] });
const PR = 42;

async function github(): Promise<GitHubApi> {
  const api = new GitHubApi();
  await api.start();
  defer(() => api.stop());
  return api;
}

async function event(name = 'pull_request'): Promise<Record<string, string>> {
  const file = path.join(os.tmpdir(), `event-${process.pid}-${Math.random().toString(36).slice(2)}.json`);
  await writeFile(
    file,
    JSON.stringify({ number: PR, pull_request: { number: PR }, repository: { name: 'rasters', owner: { login: 'ign-team' } } }),
  );
  defer(async () => (await import('node:fs/promises')).rm(file, { force: true }));
  return { GITHUB_EVENT_NAME: name, GITHUB_EVENT_PATH: file };
}

const preview = (emu: Emulator, gh: GitHubApi, extra: Record<string, string> = {}) => ({
  inputs: actionInputs(emu, TOKEN, { 'dry-run': 'true', 'github-token': 'gh-test-token', ...extra }),
  env: { GITHUB_API_URL: gh.url },
});

/** The geojson block of a comment, parsed. */
function mapIn(body: string): { features: Array<{ properties: Record<string, string>; geometry: { coordinates: number[][][] } }> } {
  const match = /```geojson\n([\s\S]*?)\n```/.exec(body);
  expect(match, 'a geojson block').toBeTruthy();
  return JSON.parse(match![1]);
}

describe('the pull-request comment', () => {
  it('a first push creates one comment with the plan and a map whose footprints are GDAL’s; a second push updates it', async () => {
    const emu = await emulator();
    const gh = await github();
    gh.add(PR, 'Looks good to me');
    const dir = await workspace();
    const env = { ...(await event()), ...preview(emu, gh).env };
    const first = await runAction({ workspace: dir, inputs: preview(emu, gh).inputs, env });
    expect(first.exitCode, first.stdout).toBe(0);
    const comments = gh.comments.get(PR)!;
    expect(comments).toHaveLength(2);
    const mine = comments[1];
    expect(mine.body).toContain('<!-- geoplateforme-publish-raster name=ortho-2024 -->');
    expect(mine.body).toMatch(/### ✅ Géoplateforme: what merging publishes to `ortho-2024`/);
    expect(mine.body).toMatch(/\*\*Files\*\*: 6, 4\.0 KB: 6 to send/);
    expect(mine.body).toContain('| `data/scans/scan_1950.tif` | 175 B | EPSG:2154 | to send |');

    const extents = JSON.parse(await readFile(path.join(ROOT, 'test', 'fixtures', 'extents.json'), 'utf8')) as Record<
      string,
      { coordinates: number[][][] }
    >;
    const map = mapIn(mine.body);
    for (const [file, extent] of Object.entries(extents).filter(([f]) => f.startsWith('samples/'))) {
      const feature = map.features.find((f) => f.properties.name === file.replace('samples/rasters/', 'rasters/'));
      expect(feature, file).toBeDefined();
      for (const [lon, lat] of extent.coordinates[0])
        expect(Math.min(...feature!.geometry.coordinates[0].map(([x, y]) => Math.hypot(x - lon, y - lat))), file).toBeLessThan(1e-6);
    }

    const second = await runAction({ workspace: dir, inputs: preview(emu, gh).inputs, env });
    expect(second.exitCode, second.stdout).toBe(0);
    expect(gh.comments.get(PR)).toHaveLength(2);
    expect(gh.requests.filter((r) => r.method === 'POST')).toHaveLength(1);
    expect(gh.requests.filter((r) => r.method === 'PATCH')).toHaveLength(1);
    expect(gh.comments.get(PR)![0].body).toBe('Looks good to me');
  });

  it('refused files in another colour, and the verdict', async () => {
    const emu = await emulator();
    const gh = await github();
    const dir = await workspace({ 'rasters/wgs84.tif': await fixture('geotiff-3857.tif') });
    const run = await runAction({ workspace: dir, ...preview(emu, gh), env: { ...(await event()), GITHUB_API_URL: gh.url } });
    expect(run.exitCode).toBe(1);
    const body = gh.comments.get(PR)![0].body;
    expect(body).toMatch(/### ❌ Géoplateforme/);
    expect(body).toContain('| `rasters/wgs84.tif` | `EPSG:3857, not EPSG:2154` |');
    const refused = mapIn(body).features.find((f) => f.properties.name === 'rasters/wgs84.tif');
    expect(refused?.properties).toMatchObject({ result: 'refused', stroke: '#cf222e' });
    expect(mapIn(body).features.filter((f) => f.properties.stroke === '#1a7f37').length).toBeGreaterThan(0);
  });

  it('a fork: no credentials, a read-only token: the local checks pass, the comment is a warning', async () => {
    const emu = await emulator();
    const gh = await github();
    gh.readOnly = true;
    const dir = await workspace();
    const inputs = { ...preview(emu, gh).inputs, token: '' };
    const run = await runAction({ workspace: dir, inputs, env: { ...(await event()), GITHUB_API_URL: gh.url } });
    expect(run.exitCode, run.stdout).toBe(0);
    expect(run.stdout).toContain('No credentials: the API was not consulted');
    expect(emu.requests).toEqual([]);
    expect(run.stdout.match(/^::warning::.*$/gm)).toEqual([
      '::warning::The pull-request comment was not written: the token may not write to this pull request (HTTP 403); a pull request from a fork gets a read-only token, or the workflow lacks permissions: pull-requests: write',
    ]);
    expect(run.outputs).toMatchObject({ files: '6', bytes: '3955' });
  });

  it('a push event writes no comment', async () => {
    const emu = await emulator();
    const gh = await github();
    const dir = await workspace();
    const run = await runAction({ workspace: dir, ...preview(emu, gh), env: { ...(await event('push')), GITHUB_API_URL: gh.url } });
    expect(run.exitCode, run.stdout).toBe(0);
    expect(gh.requests).toEqual([]);
  });
});

describe('renderComment', () => {
  const ring = (x: number, y: number): Array<[number, number]> => [
    [x, y],
    [x + 0.01, y],
    [x + 0.01, y + 0.01],
    [x, y + 0.01],
    [x, y],
  ];

  it('stays within GitHub’s limit with 20,000 files: lists cut, the map drawn per folder', () => {
    const files: CommentFile[] = Array.from({ length: 20_000 }, (_, i) => ({
      path: `rasters/d${Math.floor(i / 1000)}/t_${i}.tif`,
      remotePath: `data/d${Math.floor(i / 1000)}/t_${i}.tif`,
      size: 1000,
      epsg: 2154,
      ring: ring(2 + (i % 100) * 0.01, 48 + Math.floor(i / 100) * 0.01),
      outcome: 'to send',
    }));
    const body = renderComment({
      name: 'big',
      srs: 'EPSG:2154',
      apiConsulted: true,
      upload: 'to be created',
      verdict: { ok: true },
      warnings: [],
      files,
    });
    expect(body.length).toBeLessThanOrEqual(MAX_COMMENT_CHARS);
    expect(body).toContain('<details><summary>Files (20000)</summary>');
    expect(body).toContain('… and 19700 more (the job summary lists them all).');
    expect(mapIn(body).features).toHaveLength(20); // one per folder
  });

  it('lists a raster whose SRS has no definition without a footprint', () => {
    const body = renderComment({
      name: 'n',
      srs: 'EPSG:2154',
      apiConsulted: false,
      upload: 'to be created',
      verdict: { ok: true },
      warnings: [],
      files: [{ path: 'r/a.tif', remotePath: 'data/a.tif', size: 1, epsg: 9999, outcome: 'to send' }],
    });
    expect(body).toContain('1 raster(s) are not on the map');
    expect(body).not.toContain('```geojson');
    expect(body).toContain('The API was not consulted');
  });

  it('renders what files, the server and tags hold as plain text: no image, link, mention or HTML', async () => {
    const { marked } = await import('marked');
    const hostile = 'a|![t](https://evil.example/p.png)[x](https://evil.example) @octocat <img src=x> `tick`.tif';
    const body = renderComment({
      name: '@org/team <b>n</b>',
      srs: 'EPSG:2154',
      apiConsulted: true,
      upload: 'to be created',
      verdict: {
        ok: false,
        message: 'HTTP 400: ![track](https://evil.example/t.png) see [here](https://evil.example) cc @org/admins <script>x</script>',
      },
      warnings: ['a | pipe and @someone'],
      files: [
        { path: `rasters/${hostile}`, remotePath: `data/${hostile}`, size: 1, outcome: 'refused', problem: `same base name '${hostile}'` },
        { path: 'rasters/@octocat.tif', remotePath: 'data/@octocat.tif', size: 1, outcome: 'to send' },
      ],
      runUrl: 'https://github.com/o/r/actions/runs/1',
    });
    const html = await marked.parse(body, { gfm: true });
    expect(html).not.toMatch(/<img|<script|<b>|href="https:\/\/evil/);
    // Every mention-like word sits inside a code element, where GitHub links none.
    const text = html.replace(/<code>[\s\S]*?<\/code>/g, '');
    expect(text).not.toMatch(/@(octocat|org|someone)/);
    // The tables keep their shape: a pipe in a name does not open a column.
    for (const row of html.match(/<tr>[\s\S]*?<\/tr>/g) ?? []) expect(row.match(/<t[dh][ >]/g)?.length).toBeLessThanOrEqual(4);
    expect(html).toContain('href="https://github.com/o/r/actions/runs/1"');
  });

  it('cut at the size limit, a comment closes every block and keeps its map and run link', () => {
    const files: CommentFile[] = Array.from({ length: 5000 }, (_, i) => ({
      path: `rasters/${'long-name-'.repeat(8)}${i}.tif`,
      remotePath: `data/${'long-name-'.repeat(8)}${i}.tif`,
      size: 1000,
      epsg: 2154,
      ring: ring(2 + (i % 50) * 0.01, 48 + Math.floor(i / 50) * 0.01),
      outcome: i % 2 ? 'to send' : 'refused',
      problem: i % 2 ? undefined : 'empty file',
    }));
    const body = renderComment({
      name: 'cut',
      srs: 'EPSG:2154',
      apiConsulted: true,
      upload: 'to be created',
      verdict: { ok: false, message: 'refused' },
      warnings: [],
      files,
      runUrl: 'https://github.com/o/r/actions/runs/9',
    });
    expect(body.length).toBeLessThanOrEqual(MAX_COMMENT_CHARS);
    expect(body.match(/<details/g)?.length).toBe(body.match(/<\/details>/g)?.length);
    expect(body.match(/```/g)!.length % 2).toBe(0);
    expect(mapIn(body).features.length).toBeGreaterThan(0);
    expect(body).toContain('[The run](https://github.com/o/r/actions/runs/9)');
  });

  it('draws only outlines inside WGS84 bounds, and says why the others are not drawn', () => {
    const body = renderComment({
      name: 'n',
      srs: 'EPSG:2154',
      apiConsulted: true,
      upload: 'to be created',
      verdict: { ok: true },
      warnings: [],
      files: [
        { path: 'r/a.tif', remotePath: 'data/a.tif', size: 1, epsg: 2154, ring: ring(2, 48), outcome: 'to send' },
        { path: 'r/b.tif', remotePath: 'data/b.tif', size: 1, epsg: 2154, ring: ring(200, 95), outcome: 'to send' },
      ],
    });
    expect(mapIn(body).features).toHaveLength(1);
    expect(body).toContain("1 raster(s) are not on the map: their outline falls outside WGS84's bounds");
  });

  it('a marker comment written by someone else is left alone: the action posts its own', async () => {
    const emu = await emulator();
    const gh = await github();
    const impostor = `<!-- geoplateforme-publish-raster name=${encodeURIComponent('ortho-2024')} -->\nMerge me, all is fine.`;
    gh.add(PR, impostor, 'an-outsider');
    const dir = await workspace();
    const run = await runAction({ workspace: dir, inputs: preview(emu, gh).inputs, env: { ...(await event()), ...preview(emu, gh).env } });
    expect(run.exitCode, run.stdout).toBe(0);
    const comments = gh.comments.get(PR)!;
    expect(comments).toHaveLength(2);
    expect(comments[0].body).toBe(impostor);
    expect(comments[1].user.login).toBe('github-actions[bot]');
    expect(gh.requests.filter((r) => r.method === 'PATCH')).toHaveLength(0);
  });

  it("a GitHub API that never answers is given up at its bound: the publication's outcome stays, a warning says why", async () => {
    const emu = await emulator();
    const gh = await github();
    gh.hang = true;
    const dir = await workspace();
    const env = { ...(await event()), ...preview(emu, gh).env, GPF_GITHUB_TIMEOUT_SECONDS: '1' };
    const run = await runAction({ workspace: dir, inputs: preview(emu, gh).inputs, env });
    expect(run.exitCode, run.stdout).toBe(0);
    expect(run.warnings.join('\n')).toMatch(/The pull-request comment was not written: GitHub did not answer within 1 s/);
  });
});
