import { describe, expect, it } from 'vitest';
import { runAction } from '../scripts/action-runner.js';
import { FileUploadError } from '../src/shared/errors.js';
import { actionInputs, harness } from './support/harness.js';
import { publishTo } from './support/lifecycle.js';

// What the user is told when a request is refused or two runs race: the API's hint, the real status.

const TOKEN = 'test-token';
const { emulator, workspace } = harness({ staticTokens: [TOKEN] });

describe('what the user is told', () => {
  it('a 403 on a file keeps its hint', async () => {
    const emu = await emulator();
    const dir = await workspace();
    emu.faults.add({ route: 'postData', fault: { status: 403 } });
    const run = await publishTo(emu, dir, { concurrency: 1 });
    expect(run.error).toBeInstanceOf(FileUploadError);
    expect(run.error?.message).toMatch(/HTTP 403: .*\. The account lacks a right on this datastore/);
  });

  it('a 413 on a file keeps its hint', async () => {
    const emu = await emulator();
    const dir = await workspace();
    emu.faults.add({ route: 'postData', fault: { status: 413 } });
    const run = await publishTo(emu, dir, { concurrency: 1 });
    expect(run.error?.message).toMatch(/HTTP 413: .*\. The server refused the size of the request/);
  });

  it('two runs of the same name started together: a warning names both uploads', async () => {
    const emu = await emulator();
    const dir = await workspace();
    emu.faults.add({ route: 'createUpload', fault: { delayMs: 200 } });
    const [a, b] = await Promise.all([publishTo(emu, dir, { close: false }), publishTo(emu, dir, { close: false })]);
    const ids = [a.result?.upload?.id, b.result?.upload?.id];
    expect(new Set(ids).size).toBe(2);
    const warnings = [...a.events, ...b.events].filter((e) => e.type === 'warning' && /appeared beside/.test(e.message));
    expect(warnings.length).toBeGreaterThan(0);
    for (const w of warnings) for (const id of ids) expect(w.type === 'warning' && w.message).toContain(id);
  });

  it('after a close, a later failure leaves the status output at the real state, not OPEN', async () => {
    const emu = await emulator({ checkDurationMs: 60_000 });
    const dir = await workspace();
    emu.faults.add({ route: 'checks', fault: { status: 400, body: JSON.stringify({ error_description: ['Requête invalide'] }) } });
    const run = await runAction({ workspace: dir, inputs: actionInputs(emu, TOKEN) });
    expect(run.exitCode).toBe(1);
    expect(run.errors[0]).toMatch(/Requête invalide/);
    expect(run.outputs.status).toBe('CHECKING');
    expect(emu.liveUploads()[0].status).toBe('CHECKING');
  });
});
