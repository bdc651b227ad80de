import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/** The committed bundle, as the runner uses it; tests set ACTION_BUNDLE to one built from today's src/. */
export const BUNDLE = path.join(ROOT, 'dist', 'index.js');

export interface ActionRun {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  outputs: Record<string, string>;
  summary: string;
  /** The `::error::` lines the runner would turn into annotations. */
  errors: string[];
  /** The `::warning` lines. */
  warnings: string[];
  ms: number;
}

export interface RunOptions {
  inputs: Record<string, string>;
  /** GITHUB_WORKSPACE (and the process's cwd). */
  workspace: string;
  env?: Record<string, string>;
  /** Called once the process is spawned, e.g. to send it a signal later. */
  onSpawn?: (pid: number) => void;
  onStdout?: (text: string) => void;
  node?: string;
  /** Extra arguments for node before the bundle, e.g. --cpu-prof. */
  nodeArgs?: string[];
  /** The bundle to run: ACTION_BUNDLE when set, else dist/index.js. */
  bundle?: string;
}

/**
 * Runs the bundled action as the GitHub runner does: `node dist/index.js` with `INPUT_<NAME>`
 * (upper case, hyphens kept), GITHUB_OUTPUT and GITHUB_STEP_SUMMARY files, GITHUB_WORKSPACE.
 */
export async function runAction(options: RunOptions): Promise<ActionRun> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'runner-'));
  const outputFile = path.join(dir, 'output');
  const summaryFile = path.join(dir, 'summary');
  await writeFile(outputFile, '');
  await writeFile(summaryFile, '');
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? dir,
    GITHUB_ACTIONS: 'true',
    CI: 'true',
    GITHUB_WORKSPACE: options.workspace,
    GITHUB_OUTPUT: outputFile,
    GITHUB_STEP_SUMMARY: summaryFile,
    GITHUB_REPOSITORY: 'ign-team/rasters',
    GITHUB_SHA: '0123456789abcdef0123456789abcdef01234567',
    GITHUB_RUN_ID: '4242',
    GITHUB_SERVER_URL: 'https://github.com',
    RUNNER_TEMP: dir,
    ...options.env,
  };
  for (const [name, value] of Object.entries(options.inputs)) env[`INPUT_${name.toUpperCase()}`] = value;
  const started = Date.now();
  const child = spawn(
    options.node ?? process.execPath,
    [...(options.nodeArgs ?? []), options.bundle ?? process.env.ACTION_BUNDLE ?? BUNDLE],
    {
      cwd: options.workspace,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  if (child.pid) options.onSpawn?.(child.pid);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
    options.onStdout?.(d.toString());
  });
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const [exitCode, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
    child.on('close', (code, sig) => resolve([code, sig])),
  );
  const outputs = parseOutputs(await readFile(outputFile, 'utf8'));
  const summary = await readFile(summaryFile, 'utf8');
  await rm(dir, { recursive: true, force: true });
  const errors = stdout.split('\n').filter((line) => line.startsWith('::error'));
  const warnings = stdout.split('\n').filter((line) => line.startsWith('::warning'));
  return { exitCode, signal, stdout, stderr, outputs, summary, errors, warnings, ms: Date.now() - started };
}

/**
 * Prints the action's log as a run page shows it: no masking commands, `::debug::` lines only when
 * RUNNER_DEBUG is 1, and group markers as a heading line. Lines may arrive split across chunks.
 */
let pending = '';
export function showAsTheRunner(text: string): void {
  const lines = (pending + text).split('\n');
  pending = lines.pop() ?? '';
  for (const line of lines) {
    if (line.startsWith('::add-mask::') || (line.startsWith('::debug::') && process.env.RUNNER_DEBUG !== '1')) continue;
    if (line.startsWith('::group::')) process.stdout.write(`▶ ${line.slice(9)}\n`);
    else if (line !== '::endgroup::') process.stdout.write(`${line}\n`);
  }
}

/** The GITHUB_OUTPUT file format: `name<<DELIMITER\nvalue\nDELIMITER\n`, last write wins. */
export function parseOutputs(text: string): Record<string, string> {
  const outputs: Record<string, string> = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const match = /^([^<=]+)<<(.+)$/.exec(lines[i]);
    if (!match) continue;
    const value: string[] = [];
    while (++i < lines.length && lines[i] !== match[2]) value.push(lines[i]);
    outputs[match[1]] = value.join('\n');
  }
  return outputs;
}
