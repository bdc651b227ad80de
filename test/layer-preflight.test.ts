import { describe, expect, it } from 'vitest';
import type { Emulator } from '../emulator/server.js';
import { runAction } from '../scripts/action-runner.js';
import { actionInputs, harness } from './support/harness.js';

// The layer first (issue 26): what would fail after hours of upload is caught before a byte is
// sent, each with one line naming the right, the input or the limit. Over HTTP with the bundle.

const TOKEN = 'preflight-token';
const { emulator, workspace } = harness({ staticTokens: [TOKEN], layers: { pyramidDurationMs: 40, publishDelayMs: 20 } });
const inputs = (emu: Emulator, extra: Record<string, string> = {}) =>
  actionInputs(emu, TOKEN, { layer: 'ortho_2024', services: 'wmts', ...extra });
const sent = (emu: Emulator) => emu.requests.filter((r) => r.method === 'POST' && r.route !== 'token').length;

describe('caught before the upload', () => {
  it('an account without PROCESSING: one line naming the right, no data sent', async () => {
    const emu = await emulator({ rights: ['UPLOAD', 'BROADCAST'] });
    const run = await runAction({ workspace: await workspace(), inputs: inputs(emu) });
    expect(run.exitCode).toBe(1);
    expect(run.errors).toHaveLength(1);
    expect(run.errors[0]).toMatch(
      /lacks the PROCESSING right in community 'Emulated community'.*publishing a layer needs UPLOAD, PROCESSING, BROADCAST/,
    );
    expect(sent(emu)).toBe(0);
  });

  it("a layer name without the datastore's mandatory prefix: one line with an example, no data sent", async () => {
    const emu = await emulator({ layers: { pyramidDurationMs: 40, publishDelayMs: 20, layerNamePrefix: 'acme_' } });
    const run = await runAction({ workspace: await workspace(), inputs: inputs(emu) });
    expect(run.exitCode).toBe(1);
    expect(run.errors).toEqual([
      expect.stringMatching(/^::error::Input 'layer': 'ortho_2024' does not start with 'acme_'.*layer: acme_ortho_2024$/),
    ]);
    expect(sent(emu)).toBe(0);
    const fixed = await runAction({ workspace: await workspace(), inputs: inputs(emu, { layer: 'acme_ortho_2024' }) });
    expect(fixed.exitCode, fixed.stdout).toBe(0);
  });

  it("a full endpoint for a new layer: one line naming the endpoint's quota, no data sent", async () => {
    const emu = await emulator();
    for (const endpoint of emu.layers.endpoints) endpoint.quota = 0;
    const run = await runAction({ workspace: await workspace(), inputs: inputs(emu) });
    expect(run.exitCode).toBe(1);
    expect(run.errors).toEqual([expect.stringMatching(/open WMTS-TMS endpoint holds 0 of its 0 offerings: no room/)]);
    expect(sent(emu)).toBe(0);
  });

  it('the processing under its other name is found', async () => {
    const emu = await emulator({
      layers: { pyramidDurationMs: 40, publishDelayMs: 20, processingName: 'Calcul ou mise à jour de pyramide raster' },
    });
    const run = await runAction({ workspace: await workspace(), inputs: inputs(emu) });
    expect(run.exitCode, run.stdout).toBe(0);
  });
});
