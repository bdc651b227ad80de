import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Emulator } from '../emulator/server.js';
import { ROOT, runAction } from './action-runner.js';

/**
 * `npm run render-summary`: publishes the samples with the bundled action into an upload that
 * already holds a file in the wrong SRS (sent earlier by another tool), so the raster check fails;
 * then renders the job summary as GitHub shows it to docs/summary.html and, when Chromium is
 * installed (apt-get install chromium), screenshots it to docs/summary.png for the README.
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
    'poll-interval': '0.5',
  },
});
await emulator.stop();

// GitHub's summary styles, approximately: system font, bordered tables, grey code spans.
const page = `<!doctype html><meta charset="utf-8"><title>Job summary</title>
<style>
body { font: 14px/1.5 -apple-system, "Segoe UI", "Noto Sans", Helvetica, Arial, sans-serif; color: #1f2328; margin: 0; padding: 24px; background: #f6f8fa; }
main { background: #fff; border: 1px solid #d1d9e0; border-radius: 6px; padding: 16px 32px 24px; max-width: 920px; }
h2 { border-bottom: 1px solid #d1d9e0; padding-bottom: .3em; font-size: 1.5em; }
h3 { font-size: 1.25em; margin-top: 24px; }
table { border-collapse: collapse; margin: 8px 0 16px; display: block; overflow: auto; }
th, td { border: 1px solid #d1d9e0; padding: 6px 13px; text-align: left; }
tr:nth-child(2n) { background: #f6f8fa; }
code { background: rgba(129,139,152,.12); border-radius: 6px; padding: .2em .4em; font-size: 85%; font-family: ui-monospace, SFMono-Regular, Menlo, monospace; }
pre { background: #f6f8fa; border-radius: 6px; padding: 16px; overflow: auto; font-size: 85%; white-space: pre-wrap; }
summary { cursor: pointer; font-weight: 600; }
</style>
<main>
${run.summary}
</main>`;
const html = path.join(ROOT, 'docs', 'summary.html');
await writeFile(html, page);
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
