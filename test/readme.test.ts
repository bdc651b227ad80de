import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../scripts/action-runner.js';
import { INPUT_NAMES } from '../src/config/names.js';
import { parseActionYaml, regenerateReadme } from '../scripts/readme-tables.js';

describe('README and action.yml', () => {
  it('has the input and output tables generated from action.yml', async () => {
    const readme = await readFile(path.join(ROOT, 'README.md'), 'utf8');
    expect(await regenerateReadme(readme, await readFile(path.join(ROOT, 'action.yml'), 'utf8'))).toBe(readme);
  });

  it('declares every input the code reads and every output it writes', async () => {
    const yaml = parseActionYaml(await readFile(path.join(ROOT, 'action.yml'), 'utf8'));
    const inputs = yaml.inputs.map((i) => i.name).sort();
    const source = await readFile(path.join(ROOT, 'src', 'config', 'inputs.ts'), 'utf8');
    const read = [...source.matchAll(/get\('([\w-]+)'\)|required\('([\w-]+)'|read\(secret\)/g)].map((m) => m[1] ?? m[2]).filter(Boolean);
    for (const name of new Set(read)) expect(inputs).toContain(name);
    // The names the action knows, to refuse the others (src/config/names.ts), are action.yml's.
    expect([...INPUT_NAMES].sort()).toEqual(inputs);
    expect(inputs).toEqual(
      [
        'api-url',
        'bottom-level',
        'checks-timeout',
        'checksums',
        'client-id',
        'client-secret',
        'close',
        'comment',
        'compression',
        'concurrency',
        'datasheet',
        'datastore',
        'description',
        'dry-run',
        'github-token',
        'glob',
        'if-exists',
        'if-no-files-found',
        'interpolation',
        'keep-upload',
        'layer',
        'layer-abstract',
        'layer-title',
        'mask',
        'metadata',
        'metadata-publish',
        'name',
        'password',
        'poll-interval',
        'processing-timeout',
        'prune',
        'public',
        'rebuild-every',
        'retain-uploads',
        'retries',
        'services',
        'shard',
        'srs',
        'tags',
        'thumbnail',
        'tms',
        'token',
        'token-url',
        'top-level',
        'totp-secret',
        'update',
        'upload-id',
        'username',
        'wait-for-checks',
      ].sort(),
    );
    // The outputs writer is the one module that sets outputs.
    const report = await readFile(path.join(ROOT, 'src', 'report', 'outputs.ts'), 'utf8');
    const written = new Set([...report.matchAll(/\.output\(\s*'([\w-]+)'/g)].map((m) => m[1]));
    expect([...written].sort()).toEqual(yaml.outputs.map((o) => o.name).sort());
  });

  it('runs on node24 from the bundle, with a description the Marketplace accepts', async () => {
    const yaml = await readFile(path.join(ROOT, 'action.yml'), 'utf8');
    expect(yaml).toMatch(/^runs:\n {2}using: node24\n {2}main: dist\/index\.js\n/m);
    const description = /^description: (.+)$/m.exec(yaml)?.[1] ?? '';
    expect(description.length).toBeGreaterThan(20);
    expect(description.length).toBeLessThanOrEqual(125);
  });

  it("draws the tree as it is: every folder of src/ and every file in it named in 'How it is built'", async () => {
    const readme = await readFile(path.join(ROOT, 'README.md'), 'utf8');
    const built = readme.slice(readme.indexOf('## How it is built'));
    const tree = built.slice(built.indexOf('```'), built.indexOf('```', built.indexOf('```') + 3));
    const src = path.join(ROOT, 'src');
    for (const entry of await readdir(src, { withFileTypes: true })) {
      if (!entry.isDirectory()) {
        if (entry.name.endsWith('.ts')) expect(tree).toContain(`src/${entry.name}`);
        continue;
      }
      const block = tree.slice(tree.indexOf(`src/${entry.name}/`), tree.indexOf('\nsrc/', tree.indexOf(`src/${entry.name}/`) + 1));
      expect(tree, `src/${entry.name}/`).toContain(`src/${entry.name}/`);
      for (const file of await readdir(path.join(src, entry.name)))
        if (file.endsWith('.ts') || !file.includes('.')) expect(block, `src/${entry.name}/${file}`).toContain(file.replace(/\.ts$/, ''));
    }
  });

  it('parses quoted descriptions and defaults', () => {
    const parsed = parseActionYaml(
      "inputs:\n  a:\n    description: 'it''s: quoted'\n    default: 'true'\n    required: false\noutputs:\n  b:\n    description: plain\nruns:\n  using: node24\n",
    );
    expect(parsed).toEqual({
      inputs: [{ name: 'a', description: "it's: quoted", default: 'true', required: false }],
      outputs: [{ name: 'b', description: 'plain' }],
    });
  });
});
