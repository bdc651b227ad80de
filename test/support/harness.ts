import { afterEach } from 'vitest';
import { Emulator, type EmulatorOptions } from '../../emulator/server.js';
import { makeWorkspace, sampleWorkspace } from './workspace.js';

/** The inputs of a run of the bundle against `emu`, with `token`; `extra` adds or overrides. */
export function actionInputs(emu: Emulator, token: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    datastore: emu.datastore,
    glob: 'rasters/**',
    name: 'ortho-2024',
    srs: 'EPSG:2154',
    token,
    'api-url': emu.apiUrl,
    'token-url': emu.tokenUrl,
    'poll-interval': '0.05',
    ...extra,
  };
}

/**
 * Emulators and workspaces for a test file, stopped and removed after each test. `defaults` are
 * the emulator options of the file (its tokens, say); fast checks unless a test says otherwise.
 */
export function harness(defaults: EmulatorOptions = {}) {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    while (cleanups.length) await (cleanups.pop() as () => Promise<void>)();
  });
  return {
    /** Runs `cleanup` after the test, after those deferred later. */
    defer(...cleanup: Array<() => Promise<void>>): void {
      cleanups.push(...cleanup);
    },
    async emulator(options: EmulatorOptions = {}): Promise<Emulator> {
      const emu = new Emulator({ checkDurationMs: 30, ...defaults, ...options });
      await emu.start();
      cleanups.push(() => emu.stop());
      return emu;
    },
    /** A temporary workspace: samples/rasters under rasters/ (unless `samples` is false) plus `extra`. */
    async workspace(extra: Record<string, string | Buffer> = {}, samples = true): Promise<string> {
      const ws = samples ? await sampleWorkspace(extra) : await makeWorkspace(extra);
      cleanups.push(ws.cleanup);
      return ws.dir;
    },
  };
}
