import { execFile } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { Emulator } from '../emulator/server.js';
import { ROOT } from '../scripts/action-runner.js';
import { parseActionYaml } from '../scripts/readme-tables.js';

const WORKFLOWS = path.join(ROOT, '.github', 'workflows');
const run = promisify(execFile);

interface Workflow {
  on: unknown;
  jobs: Record<string, { 'timeout-minutes'?: number; steps: Array<{ uses?: string; with?: Record<string, unknown> }> }>;
}

/** The first major version of each action that runs on node24 (node20 is leaving the runners). */
const NODE24_MAJOR: Record<string, number> = {
  'actions/checkout': 5,
  'actions/setup-node': 5,
  'github/codeql-action/init': 4,
  'github/codeql-action/analyze': 4,
};

async function workflows(): Promise<Array<{ file: string; text: string; doc: Workflow }>> {
  const files = (await readdir(WORKFLOWS)).filter((f) => /\.ya?ml$/.test(f));
  return Promise.all(
    files.map(async (file) => {
      const text = await readFile(path.join(WORKFLOWS, file), 'utf8');
      return { file, text, doc: parse(text) as Workflow };
    }),
  );
}

describe('.github', () => {
  it('has valid workflows with jobs and triggers', async () => {
    const all = await workflows();
    expect(all.map((w) => w.file).sort()).toEqual(['ci.yml', 'codeql.yml', 'release.yml']);
    for (const { file, doc } of all) {
      expect(doc.on).toBeTruthy();
      expect(Object.keys(doc.jobs).length).toBeGreaterThan(0);
      // A hung job must not hold a runner for the default 6 hours.
      for (const [name, job] of Object.entries(doc.jobs)) expect(job['timeout-minutes'], `${file}: ${name}`).toBeLessThanOrEqual(30);
    }
  });

  it('uses releases of the actions that run on node24', async () => {
    for (const { file, text } of await workflows()) {
      for (const [, action, major] of text.matchAll(/uses:\s*([\w/.-]+)@[0-9a-f]{40}\s*# v(\d+)\./g)) {
        expect(NODE24_MAJOR[action], `${file}: ${action} is not in the node24 table`).toBeDefined();
        expect(Number(major), `${file}: ${action}`).toBeGreaterThanOrEqual(NODE24_MAJOR[action]);
      }
    }
  });

  it('releases a vX.Y.Z tag only when package.json and a dated CHANGELOG entry agree', async () => {
    const release = (await workflows()).find((w) => w.file === 'release.yml')!;
    expect(release.doc.on).toEqual({ push: { tags: ['v[0-9]+.[0-9]+.[0-9]+'] } });
    expect(release.text).toContain('node scripts/release-check.mjs "$TAG"');
    const version = (JSON.parse(await readFile(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
    const check = (tag: string) =>
      run(process.execPath, [path.join(ROOT, 'scripts', 'release-check.mjs'), tag]).then(
        () => 0,
        (e: { code: number }) => e.code,
      );
    expect(await check(`v${version}`)).toBe(0);
    expect(await check('v99.0.0')).toBe(1);
    expect(await check('latest')).toBe(1);
  });

  it('until a release is tagged, the README pins a commit and says how; RELEASE.md and the CHANGELOG name the version to come', async () => {
    const [readme, releaseDoc, changelog] = await Promise.all(
      ['README.md', 'RELEASE.md', 'CHANGELOG.md'].map((f) => readFile(path.join(ROOT, f), 'utf8')),
    );
    const major = `v${(JSON.parse(await readFile(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version.split('.')[0]}`;
    expect(new Set([...readme.matchAll(/geoplateforme-publish-raster@(\S+)/g)].map((m) => m[1]))).toEqual(new Set(['<commit>']));
    expect(readme).toContain('Until a release is tagged, pin a commit of this repository');
    expect(releaseDoc).toContain(`geoplateforme-publish-raster@${major}`);
    expect(changelog).toContain(`geoplateforme-publish-raster@${major}`);
    expect(readme).not.toMatch(/actions\/(checkout|setup-node)@v[1-4]\b/);
  });

  it('pins every third-party action to a full commit SHA, with its version beside it', async () => {
    for (const { file, text } of await workflows()) {
      const uses = [...text.matchAll(/^\s*(?:- )?uses:\s*(\S+)(.*)$/gm)];
      expect(uses.length, file).toBeGreaterThan(0);
      for (const [, ref, rest] of uses) {
        if (ref === './') continue;
        expect(ref, `${file}: ${ref}`).toMatch(/^[\w-]+\/[\w.-]+(\/[\w.-]+)*@[0-9a-f]{40}$/);
        expect(rest, `${file}: ${ref}`).toMatch(/# v\d+\.\d+\.\d+/);
      }
    }
  });

  it('runs the action end to end with declared inputs, against the emulator `npm run emulator` starts', async () => {
    const ci = (await workflows()).find((w) => w.file === 'ci.yml')!;
    const step = ci.doc.jobs.e2e.steps.find((s) => s.uses === './')!;
    const declared = parseActionYaml(await readFile(path.join(ROOT, 'action.yml'), 'utf8')).inputs.map((i) => i.name);
    for (const input of Object.keys(step.with ?? {})) expect(declared).toContain(input);
    // The emulator CLI's defaults: its datastore, token and port.
    const cli = await readFile(path.join(ROOT, 'emulator', 'cli.ts'), 'utf8');
    expect(step.with).toMatchObject({ datastore: new Emulator().datastore, token: 'local-token', 'api-url': 'http://127.0.0.1:8787/api' });
    expect(cli).toContain("process.env.EMULATOR_TOKEN ?? 'local-token'");
    expect(cli).toContain('process.env.EMULATOR_PORT ?? 8787');
  });

  it('has Dependabot for npm and for the actions', async () => {
    const dependabot = parse(await readFile(path.join(ROOT, '.github', 'dependabot.yml'), 'utf8')) as {
      version: number;
      updates: Array<{ 'package-ecosystem': string }>;
    };
    expect(dependabot.version).toBe(2);
    expect(dependabot.updates.map((u) => u['package-ecosystem']).sort()).toEqual(['github-actions', 'npm']);
  });
});
