import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { actionInputs, harness } from './support/harness.js';
import { runAction } from '../scripts/action-runner.js';
import { writeTiles } from './support/workspace.js';

const TOKEN = 'memory-token';
const { emulator, workspace } = harness({ staticTokens: [TOKEN] });

/**
 * Preloaded into the spawned bundle: records the largest size its young generation (V8's new
 * space) reached, in bytes. A size, not a time.
 */
const PRELOAD = `
import v8 from 'node:v8';
import { writeFileSync } from 'node:fs';
let largest = 0;
const look = () => { largest = Math.max(largest, v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size); };
setInterval(look, 5).unref();
process.on('exit', () => { look(); writeFileSync(process.env.NEW_SPACE_FILE, String(largest)); });
`;

describe('memory', () => {
  it('the young generation stays at its starting size through a send of 2,000 files', async () => {
    const emu = await emulator();
    const dir = await workspace({}, false);
    await writeTiles(dir, 20, 100);
    await writeFile(path.join(dir, 'preload.mjs'), PRELOAD);
    const sizeFile = path.join(dir, 'new-space');
    const run = await runAction({
      workspace: dir,
      inputs: actionInputs(emu, TOKEN, { concurrency: '8', 'wait-for-checks': 'false' }),
      env: { NODE_OPTIONS: `--import ${path.join(dir, 'preload.mjs')}`, NEW_SPACE_FILE: sizeFile },
    });
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.outputs.uploaded).toBe('2000');
    // V8 starts the new space at 1 MiB a half (2 MiB); left to grow, a run like this takes it to
    // 16 MiB and more (docs/performance.md).
    expect(Number(await readFile(sizeFile, 'utf8'))).toBeLessThanOrEqual(4 * 1024 * 1024);
  }, 120_000);
});
