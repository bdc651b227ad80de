import path from 'node:path';
import { Emulator } from '../emulator/server.js';
import { ROOT, runAction } from './action-runner.js';
import { renderGitHubPage } from './github-page.js';

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

await renderGitHubPage('summary', 'Job summary', run.summary, 1150);
console.log(`Status ${run.outputs.status}`);
