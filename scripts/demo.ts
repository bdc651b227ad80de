import { Emulator } from '../emulator/server.js';
import { ROOT, runAction, showAsTheRunner } from './action-runner.js';

/**
 * `npm run demo`: starts the emulator and publishes samples/rasters with the bundled action,
 * spawned exactly as the GitHub runner spawns it, then on to a served WMTS and WMS layer; prints
 * the log, the outputs and the summary.
 */
const token = 'demo-token';
const emulator = new Emulator({ staticTokens: [token], checkDurationMs: 1500, layers: { pyramidDurationMs: 1500, publishDelayMs: 300 } });
await emulator.start();
console.log(`Emulator of the API Entrepôt on ${emulator.apiUrl} (datastore ${emulator.datastore})\n`);

const run = await runAction({
  workspace: ROOT,
  inputs: {
    datastore: emulator.datastore,
    glob: 'samples/rasters/**',
    name: 'demo-orthophoto',
    srs: 'EPSG:2154',
    token,
    'api-url': emulator.apiUrl,
    'token-url': emulator.tokenUrl,
    tags: 'datasheet_name=demo',
    'poll-interval': '0.5',
    layer: 'demo_orthophoto',
    services: 'wmts,wms',
    'layer-title': 'Orthophotos (demo)',
  },
  onStdout: showAsTheRunner,
});
await emulator.stop();

console.log('\n── outputs ──');
for (const [name, value] of Object.entries(run.outputs)) console.log(`${name}=${value}`);
console.log('\n── job summary (HTML + Markdown, as GitHub renders it) ──');
console.log(run.summary);
console.log(
  run.exitCode === 0
    ? `\nPublished in ${(run.ms / 1000).toFixed(1)} s: upload ${run.outputs.status}, layer demo_orthophoto served by ${Object.keys(JSON.parse(run.outputs['layer-urls'] ?? '{}') as object).join(', ')}.`
    : `\nThe action failed (exit code ${run.exitCode}).`,
);
process.exit(run.exitCode ?? 1);
