import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ROOT } from '../../scripts/action-runner.js';

/**
 * Tests that spawn the action spawn a bundle built now from today's `src/`, never the committed
 * `dist/` (CI checks that one separately). The path reaches the test workers through the
 * environment, which they inherit.
 */
export async function setup(): Promise<() => Promise<void>> {
  const out = await mkdtemp(path.join(os.tmpdir(), 'action-bundle-'));
  try {
    build(out);
  } catch (error) {
    // ncc's own words (a type error in src/, say), not "Command failed".
    const said = String((error as { stderr?: Buffer }).stderr ?? '').trim();
    throw new Error(`The test bundle could not be built from src/:\n${said || (error as Error).message}`);
  }
  process.env.ACTION_BUNDLE = path.join(out, 'index.js');
  return () => rm(out, { recursive: true, force: true });
}

/** `src/tsconfig.json` scopes ncc's type check to src/: tests and bench are `tsc --noEmit`'s to check. */
function build(out: string): void {
  execFileSync(
    process.execPath,
    [
      path.join(ROOT, 'node_modules', '@vercel', 'ncc', 'dist', 'ncc', 'cli.js'),
      'build',
      'src/index.ts',
      '-o',
      out,
      '--target',
      'es2022',
      '--quiet',
    ],
    { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] },
  );
}
