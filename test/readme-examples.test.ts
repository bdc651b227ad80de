import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { Emulator } from '../emulator/server.js';
import { ROOT, runAction, type ActionRun } from '../scripts/action-runner.js';
import { harness } from './support/harness.js';

// Runs the README's workflow examples against the emulator: every job in `needs` order, each
// matrix value, each step that uses this action, with the `${{ }}` expressions resolved.

interface Step {
  id?: string;
  uses?: string;
  with?: Record<string, unknown>;
}
interface Job {
  needs?: string | string[];
  outputs?: Record<string, string>;
  strategy?: { matrix?: Record<string, unknown[]> };
  steps: Step[];
}
interface JobRun {
  job: string;
  matrix?: unknown;
  run: ActionRun;
}

const ACTION = 'your-org/geoplateforme-publish-raster@';
const { emulator, workspace } = harness({ staticTokens: [], clients: [{ id: 'svc', secret: 's3cret' }] });

async function readmeWorkflows(): Promise<Array<{ title: string; jobs: Record<string, Job> }>> {
  const readme = await readFile(path.join(ROOT, 'README.md'), 'utf8');
  const workflows = [];
  for (const match of readme.matchAll(/^#+ (.+)\n(?:(?!^#)[\s\S])*?```yaml\n([\s\S]*?)```/gm)) {
    const doc = parse(match[2]) as { jobs?: Record<string, Job> };
    if (doc?.jobs && match[2].includes(ACTION)) workflows.push({ title: match[1].trim(), jobs: doc.jobs });
  }
  return workflows;
}

async function runWorkflow(jobs: Record<string, Job>, emu: Emulator, workspace: string): Promise<JobRun[]> {
  const variables: Record<string, string> = {
    'vars.GPF_DATASTORE': emu.datastore,
    'vars.GPF_CLIENT_ID': 'svc',
    'secrets.GPF_CLIENT_SECRET': 's3cret',
    'github.token': 'gh-test-token',
  };
  const jobOutputs: Record<string, Record<string, string>> = {};
  const runs: JobRun[] = [];
  const done = new Set<string>();
  while (done.size < Object.keys(jobs).length) {
    const ready = Object.entries(jobs).filter(([name, job]) => !done.has(name) && [job.needs ?? []].flat().every((n) => done.has(n)));
    expect(ready.length, 'a job whose needs can be met').toBeGreaterThan(0);
    for (const [name, job] of ready) {
      const [key, values] = Object.entries(job.strategy?.matrix ?? {})[0] ?? [undefined, [undefined]];
      const stepOutputs: Record<string, Record<string, string>> = {};
      for (const value of values) {
        for (const step of job.steps.filter((s) => s.uses?.startsWith(ACTION))) {
          const resolve = (text: string) =>
            text.replace(/\$\{\{\s*([^}]+?)\s*\}\}/g, (_, expr: string) => {
              const needs = /^needs\.([\w-]+)\.outputs\.([\w-]+)$/.exec(expr);
              if (needs) return jobOutputs[needs[1]]?.[needs[2]] ?? '';
              if (key && expr === `matrix.${key}`) return String(value);
              if (expr in variables) return variables[expr];
              throw new Error(`unresolved expression ${expr} in the README`);
            });
          const inputs = Object.fromEntries(Object.entries(step.with ?? {}).map(([k, v]) => [k, resolve(String(v))]));
          const run = await runAction({
            workspace,
            inputs: { ...inputs, 'api-url': emu.apiUrl, 'token-url': emu.tokenUrl, 'poll-interval': '0.05' },
          });
          runs.push({ job: name, matrix: value, run });
          if (step.id) stepOutputs[step.id] = run.outputs;
        }
      }
      jobOutputs[name] = Object.fromEntries(
        Object.entries(job.outputs ?? {}).map(([k, v]) => [
          k,
          v.replace(/\$\{\{\s*steps\.([\w-]+)\.outputs\.([\w-]+)\s*\}\}/, (_, id: string, out: string) => stepOutputs[id]?.[out] ?? ''),
        ]),
      );
      done.add(name);
    }
  }
  return runs;
}

async function setup() {
  const emu = await emulator();
  const dir = await workspace({ 'rasters/README.md': 'Not a raster: the examples must not pick it up.' });
  return { emu, dir };
}

describe('README examples', () => {
  it('has the six workflows this test knows, the layer first', async () => {
    expect((await readmeWorkflows()).map((w) => w.title)).toEqual([
      'Publish a layer on every merge',
      'Review it in the pull request',
      'Upload only: a delivery',
      'Dry run on pull requests',
      'Keep files in an open upload, close later',
      'One upload across a job matrix',
    ]);
  });

  it('upload only: CLOSED, tagged, the folder README left out by the glob', async () => {
    const { emu, dir } = await setup();
    await expect(readFile(path.join(dir, 'rasters', 'README.md'), 'utf8')).resolves.toContain('Not a raster');
    const workflow = (await readmeWorkflows())[2];
    const [{ run }] = await runWorkflow(workflow.jobs, emu, dir);
    expect(run.exitCode, run.stdout).toBe(0);
    expect(run.outputs).toMatchObject({ status: 'CLOSED', files: '6', uploaded: '6' });
    expect(emu.liveUploads()[0].tags.datasheet_name).toBe('ortho-2024');
  });

  it('publish a layer: the pyramid built, WMTS and WMS published, the upload deleted', async () => {
    const { emu, dir } = await setup();
    const [{ run }] = await runWorkflow((await readmeWorkflows())[0].jobs, emu, dir);
    expect(run.exitCode, run.stdout).toBe(0);
    expect(Object.keys(JSON.parse(run.outputs['layer-urls']) as object).sort()).toEqual(['TMS', 'WMS', 'WMTS']);
    expect([...emu.layers.configurations.values()].map((c) => [c.type, c.layer_name, c.type_infos.title]).sort()).toEqual([
      ['WMS-RASTER', 'ortho_2024', 'Orthophotos 2024'],
      ['WMTS-TMS', 'ortho_2024', 'Orthophotos 2024'],
    ]);
    expect(emu.store.uploads.get(run.outputs['upload-id'])?.status).toBe('DELETED');
  });

  it('the pull-request review of the layer workflow plans the same layer, with GETs only', async () => {
    const { emu, dir } = await setup();
    const [{ run }] = await runWorkflow((await readmeWorkflows())[1].jobs, emu, dir);
    expect(run.exitCode, run.stdout).toBe(0);
    expect(run.stdout).toMatch(/Layer ortho_2024 would be created \(WMTS-TMS, WMS-RASTER\)/);
    expect(emu.requests.filter((r) => r.method !== 'GET').map((r) => r.route)).toEqual(['token']);
  });

  it('dry run on pull requests: refuses the README that rasters/** matches, with GETs only', async () => {
    const { emu, dir } = await setup();
    const workflow = (await readmeWorkflows())[3];
    const [{ run }] = await runWorkflow(workflow.jobs, emu, dir);
    // rasters/** takes the folder's README.md too: the dry run says so before anything is sent.
    expect(run.exitCode).toBe(1);
    expect(run.errors[0]).toMatch(/Unsupported file rasters\/README\.md/);
    expect(emu.requests).toEqual([]);
  });

  it('dry run and the other examples pass on a folder of rasters only', async () => {
    const { emu, dir } = await setup();
    const { rm } = await import('node:fs/promises');
    await rm(path.join(dir, 'rasters', 'README.md'));
    const [, , , dry, stage, matrix] = await readmeWorkflows();

    const [{ run: plan }] = await runWorkflow(dry.jobs, emu, dir);
    expect(plan.exitCode, plan.stdout).toBe(0);
    expect(plan.summary).toMatch(/6 to send/);
    // Only the token request (authentication, not the datastore) is a POST.
    expect(emu.requests.filter((r) => r.method !== 'GET').map((r) => r.route)).toEqual(['token']);

    const [{ run: staged }] = await runWorkflow(stage.jobs, emu, dir);
    expect(staged.exitCode, staged.stdout).toBe(0);
    expect(staged.outputs.status).toBe('OPEN');

    const runs = await runWorkflow(matrix.jobs, emu, dir);
    expect(runs.map((r) => `${r.job}${r.matrix ? ` ${r.matrix}` : ''}`)).toEqual(['create', 'send 2', 'send 3', 'send 4', 'close']);
    for (const { run } of runs) expect(run.exitCode, run.stdout).toBe(0);
    const close = runs[runs.length - 1].run;
    expect(close.outputs).toMatchObject({ status: 'CLOSED', files: '6', uploaded: '0', 'checks-failed': '0' });
    // The matrix made its own upload (upload-id), and every file went once into it.
    const matrixUpload = emu.store.uploads.get(runs[0].run.outputs['upload-id']);
    expect([...(matrixUpload?.files.keys() ?? [])].filter((p) => p.startsWith('data/'))).toHaveLength(6);
    const posts = emu.requests.filter((r) => r.route === 'postData' && r.path.includes(matrixUpload!._id));
    expect(posts).toHaveLength(6);
  });
});
