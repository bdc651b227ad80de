import { cp, copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { marked } from 'marked';
import { GitHubApi } from '../emulator/github.js';
import { Emulator } from '../emulator/server.js';
import { ROOT, runAction } from './action-runner.js';
import { renderGitHubPage } from './github-page.js';

/**
 * `npm run render-comment`: runs the bundled action as a dry run on a pull_request event (against
 * the API emulator and the local stand-in for GitHub's comment routes) over the samples plus one
 * raster in the wrong projection, and renders the comment it wrote to docs/comment.html, then, with
 * Chromium, to docs/comment.png for the README. GitHub draws the `geojson` block as an interactive
 * map over a base map; the picture draws the same polygons as outlines.
 */
const token = 'render-token';
const emulator = new Emulator({ staticTokens: [token] });
await emulator.start();
const github = new GitHubApi();
await github.start();
const dir = await mkdtemp(path.join(os.tmpdir(), 'render-comment-'));
const event = path.join(dir, 'event.json');
await writeFile(event, JSON.stringify({ number: 7, pull_request: { number: 7 } }));
const workspace = path.join(dir, 'ws');
await cp(path.join(ROOT, 'samples', 'rasters'), path.join(workspace, 'rasters'), { recursive: true });
await copyFile(path.join(ROOT, 'test', 'fixtures', 'geotiff-3857.tif'), path.join(workspace, 'rasters', 'ortho', 'ortho_webmercator.tif'));

const run = await runAction({
  workspace,
  inputs: {
    datastore: emulator.datastore,
    glob: 'rasters/**',
    name: 'ortho-2024',
    srs: 'EPSG:2154',
    token,
    'api-url': emulator.apiUrl,
    'dry-run': 'true',
    'github-token': 'gh-test-token',
  },
  env: { GITHUB_EVENT_NAME: 'pull_request', GITHUB_EVENT_PATH: event, GITHUB_API_URL: github.url },
});
await emulator.stop();
await github.stop();
await rm(dir, { recursive: true, force: true });
const body = github.comments.get(7)?.[0]?.body;
if (!body) throw new Error(`no comment was written (exit ${run.exitCode}):\n${run.stdout}`);

/** The geojson block as an SVG: every polygon in its colour, scaled to fit, north up. */
function svgOf(geojson: string): string {
  const features = (
    JSON.parse(geojson) as { features: Array<{ properties: Record<string, string>; geometry: { coordinates: number[][][] } }> }
  ).features;
  const points = features.flatMap((f) => f.geometry.coordinates[0]);
  const [minX, maxX] = [Math.min(...points.map((p) => p[0])), Math.max(...points.map((p) => p[0]))];
  const [minY, maxY] = [Math.min(...points.map((p) => p[1])), Math.max(...points.map((p) => p[1]))];
  const width = 860;
  const height = 320;
  const scale = Math.min((width - 40) / (maxX - minX || 1), (height - 40) / (maxY - minY || 1));
  const at = ([x, y]: number[]) => `${(20 + (x - minX) * scale).toFixed(1)},${(height - 20 - (y - minY) * scale).toFixed(1)}`;
  const shapes = features
    .map(
      (f) =>
        `<polygon points="${f.geometry.coordinates[0].map(at).join(' ')}" fill="${f.properties.fill}" fill-opacity="0.25" stroke="${f.properties.stroke}" stroke-width="2"><title>${f.properties.name}</title></polygon>`,
    )
    .join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" style="background:#eef3f7;border:1px solid #d1d9e0;border-radius:6px">${shapes}</svg>`;
}

const markdown = body.replace(/```geojson\n([\s\S]*?)\n```/, (_, json: string) => `<p>${svgOf(json)}</p>`);
await renderGitHubPage('comment', 'Pull-request comment', await marked.parse(markdown), 1100);
console.log(`(the action exited ${run.exitCode}: one raster is refused, on purpose)`);
