import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { Emulator } from '../emulator/server.js';
import { ROOT } from '../scripts/action-runner.js';
import { parseActionYaml } from '../scripts/readme-tables.js';

const WORKFLOWS = path.join(ROOT, '.github', 'workflows');

interface Workflow {
  on: unknown;
  jobs: Record<string, { steps: Array<{ uses?: string; with?: Record<string, unknown> }> }>;
}

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
    expect(all.map((w) => w.file).sort()).toEqual(['ci.yml', 'codeql.yml']);
    for (const { doc } of all) {
      expect(doc.on).toBeTruthy();
      expect(Object.keys(doc.jobs).length).toBeGreaterThan(0);
    }
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
