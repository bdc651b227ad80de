import { describe, expect, it } from 'vitest';
import { readConfig } from '../src/config/inputs.js';
import { run } from '../src/main.js';
import type { RunnerCommands } from '../src/report/sink.js';
import { publishOptions, layerOptions } from '../src/setup.js';
import { findFiles } from '../src/workspace/files.js';
import { actionInputs, harness } from './support/harness.js';

// The run driven in-process, its collaborators passed in (as create-github-app-token's main is):
// a recording runner in place of @actions/core, the runner's variables as a plain object.

const TOKEN = 'in-process-token';
const { emulator, workspace } = harness({ staticTokens: [TOKEN], layers: { pyramidDurationMs: 40, publishDelayMs: 20 } });

/** A runner that records what the run writes, as @actions/core would write it. */
function recordingRunner(inputs: Record<string, string>) {
  const seen = {
    outputs: {} as Record<string, unknown>,
    failed: [] as string[],
    lines: [] as string[],
    summary: '',
    secrets: [] as string[],
  };
  const runner: RunnerCommands & { getInput(name: string): string } = {
    getInput: (name) => inputs[name] ?? '',
    info: (m) => void seen.lines.push(m),
    debug: () => undefined,
    isDebug: () => false,
    warning: (m) => void seen.lines.push(`warning: ${m}`),
    notice: (m) => void seen.lines.push(`notice: ${m}`),
    error: (m) => void seen.lines.push(`error: ${m}`),
    setOutput: (name, value) => void (seen.outputs[name] = value),
    setFailed: (m) => void seen.failed.push(m),
    setSecret: (s) => void seen.secrets.push(s),
    startGroup: (m) => void seen.lines.push(`group: ${m}`),
    endGroup: () => undefined,
    summary: { addRaw: (text) => ({ write: async () => void (seen.summary += text) }) },
  };
  return { runner, seen };
}

describe('run(), in-process with its collaborators passed in', () => {
  it('publishes a layer against the emulator and reports it through the runner it was given', async () => {
    const emu = await emulator();
    const dir = await workspace();
    const { runner, seen } = recordingRunner(actionInputs(emu, TOKEN, { layer: 'ortho_2024', services: 'wmts' }));
    await run({ runner, env: { GITHUB_WORKSPACE: dir, GITHUB_REPOSITORY: 'org/repo', GITHUB_SHA: 'a'.repeat(40) } });
    expect(seen.failed, seen.lines.join('\n')).toEqual([]);
    expect(seen.outputs).toMatchObject({ status: 'CLOSED', update: 'created' });
    expect(String(seen.outputs['layer-urls'])).toContain('ortho_2024');
    expect(seen.secrets).toContain(TOKEN);
    expect(seen.summary).toContain('ortho_2024');
    // The provenance tags come from the variables it was given, not from the process's.
    const [pyramid] = [...emu.layers.storedData.values()];
    expect(pyramid.tags).toMatchObject({ github_repository: 'org/repo', github_sha: 'a'.repeat(40) });
  });

  it('a bad input fails through the runner, before any request', async () => {
    const emu = await emulator();
    const { runner, seen } = recordingRunner(actionInputs(emu, TOKEN, { concurrency: 'many' }));
    await run({ runner, env: { GITHUB_WORKSPACE: '/nonexistent' } });
    expect(seen.failed).toHaveLength(1);
    expect(seen.failed[0]).toMatch(/^Input 'concurrency'/);
    expect(emu.requests).toHaveLength(0);
  });
});

describe("each stage's options", () => {
  it('carry no secret: only the clients authenticate', async () => {
    const secrets = { token: 'tok-secret-1', 'github-token': 'ghs-secret-2' };
    const config = readConfig(
      (name) =>
        ({
          ...actionInputs({ datastore: 'ds', apiUrl: 'https://x/api', tokenUrl: 'https://x/t' } as never, secrets.token),
          ...secrets,
          layer: 'l',
        })[name] ?? '',
    );
    const fileSet = await findFiles(['nothing/**'], process.cwd());
    const options = [
      publishOptions(config, fileSet, { workspace: '/w', tags: {} }),
      layerOptions(config, { deleteUpload: async () => undefined } as never, {}),
    ];
    for (const stageOptions of options) {
      const text = JSON.stringify(stageOptions);
      for (const secret of Object.values(secrets)) expect(text).not.toContain(secret);
      expect(Object.keys(stageOptions)).not.toContain('auth');
    }
  });
});
