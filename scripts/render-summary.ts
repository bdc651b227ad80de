import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Emulator } from '../emulator/server.js';
import { ROOT, runAction } from './action-runner.js';

/**
 * `npm run render-summary`: publishes the samples with the bundled action into an upload that
 * already holds a file in the wrong SRS (sent earlier by another tool), so the raster check fails;
 * then renders the job summary as GitHub shows it to docs/summary.html and, when Chromium is
 * installed (apt-get install chromium), screenshots it to docs/summary.png for the README. The page
 * uses GitHub's own Markdown styles, so the picture shows what GitHub shows.
 */
const token = 'render-token';
const emulator = new Emulator({ staticTokens: [token], checkDurationMs: 1200 });
await emulator.start();
const upload = emulator.store.createUpload({ name: 'ortho-2024', description: 'Orthophotos 2024', type: 'RASTER', srs: 'EPSG:2154' });
await emulator.store.addFile(upload, 'data/ortho/ortho_651000_6860000.tif', path.join(ROOT, 'test', 'fixtures', 'geotiff-4326.tif'));

const run = await runAction({
  workspace: ROOT,
  inputs: {
    datastore: emulator.datastore,
    glob: 'samples/rasters/**',
    name: 'ortho-2024',
    srs: 'EPSG:2154',
    token,
    'api-url': emulator.apiUrl,
    'upload-id': upload._id,
    prune: 'false', // keep the file no pattern matches: it is what the check refuses
    'poll-interval': '0.5',
  },
});
await emulator.stop();

// GitHub's own Markdown styles (the github-markdown-css package, light theme): \`pre\` does not wrap,
// so the picture shows what a run page shows, long lines included.
const css = await readFile(path.join(ROOT, 'node_modules', 'github-markdown-css', 'github-markdown-light.css'), 'utf8');
const page = `<!doctype html><meta charset="utf-8"><title>Job summary</title>
<style>
${css}
body { margin: 0; padding: 24px; background: #f6f8fa; }
.markdown-body { box-sizing: border-box; max-width: 980px; border: 1px solid #d1d9e0; border-radius: 6px; padding: 16px 32px 24px; }
</style>
<article class="markdown-body">
${run.summary}
</article>`;
const html = path.join(ROOT, 'docs', 'summary.html');
// Written as Prettier formats it, so that `npm run format:check` passes after a render.
const prettier = await import('prettier');
await writeFile(html, await prettier.format(page, { ...(await prettier.resolveConfig(html)), filepath: html }));
console.log(`Status ${run.outputs.status}; summary written to ${path.relative(ROOT, html)}`);

const chromium = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));
if (chromium) {
  const png = path.join(ROOT, 'docs', 'summary.png');
  execFileSync(
    chromium,
    [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--hide-scrollbars',
      `--user-data-dir=${path.join(ROOT, 'node_modules', '.chromium-profile')}`,
      '--window-size=1000,1150',
      `--screenshot=${png}`,
      `file://${html}`,
    ],
    { stdio: 'ignore' },
  );
  console.log(`Screenshot written to ${path.relative(ROOT, png)}`);
} else {
  console.log('Chromium not found: no screenshot (apt-get install chromium)');
}
