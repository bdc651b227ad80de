import { execFileSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { ROOT, runAction, showAsTheRunner } from './action-runner.js';

/**
 * `npm run local [-- file]`: runs dist/index.js with the inputs and environment of a .env file
 * (default `.env`; see `.env.example`), as the runner would, against the emulator or the real API;
 * prints the log, then the outputs and the job summary.
 */
const file = path.resolve(process.argv[2] ?? path.join(ROOT, '.env'));
const inputs: Record<string, string> = {};
const env: Record<string, string> = {};
const text = await readFile(file, 'utf8').catch(() => {
  console.error(
    `No ${path.relative(process.cwd(), file) || file}: copy the example first (cp .env.example .env), start the emulator (npm run emulator &), then npm run local`,
  );
  process.exit(1);
});
for (const raw of text.split('\n')) {
  const line = raw.trim();
  if (!line || line.startsWith('#')) continue;
  const eq = line.indexOf('=');
  if (eq < 0) throw new Error(`${file}: '${line}' is not NAME=value`);
  const name = line.slice(0, eq).trim();
  const value = line
    .slice(eq + 1)
    .trim()
    .replace(/^(['"])(.*)\1$/, '$2');
  if (name.startsWith('INPUT_')) inputs[name.slice(6).toLowerCase()] = value;
  else env[name] = value;
}
const workspace = process.env.GITHUB_WORKSPACE ?? ROOT;
// The commit is the one checked out, as on a runner: a layer's update is decided from it.
if (!env.GITHUB_SHA) {
  try {
    env.GITHUB_SHA = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: workspace, encoding: 'utf8' }).trim();
  } catch {
    // not a git repository: no commit, the action says what that means for a layer
  }
}
const run = await runAction({
  workspace,
  inputs,
  env,
  onStdout: showAsTheRunner,
});
console.log('\n── outputs ──');
for (const [name, value] of Object.entries(run.outputs)) console.log(`${name}=${value}`);
console.log('\n── job summary ──');
console.log(run.summary);
process.exit(run.exitCode ?? 1);
