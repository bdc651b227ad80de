import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runAction } from '../scripts/action-runner.js';
import { ForwardProxy } from './support/proxy.js';
import { actionInputs, harness } from './support/harness.js';
import { FIXTURES } from './support/workspace.js';

const TOKEN = 'proxy-test-token';
const { emulator, workspace, defer } = harness({ staticTokens: [TOKEN] });

async function setup() {
  const emu = await emulator();
  const proxy = new ForwardProxy();
  await proxy.start();
  defer(() => proxy.stop());
  const dir = await workspace();
  const inputs = actionInputs(emu, TOKEN, { name: 'via-proxy' });
  return { emu, proxy, dir, inputs };
}

describe('corporate networks', () => {
  it.each(['HTTP_PROXY', 'http_proxy'])('sends every API request through the proxy named in %s', async (variable) => {
    const { emu, proxy, dir, inputs } = await setup();
    const run = await runAction({ workspace: dir, inputs, env: { [variable]: proxy.url, NO_PROXY: '', no_proxy: '' } });
    expect(run.exitCode, run.stdout).toBe(0);
    expect(run.outputs.status).toBe('CLOSED');
    // undici tunnels through CONNECT, plain HTTP included; every request the emulator saw came
    // in on one of the proxy's upstream connections.
    expect(proxy.seen.length).toBeGreaterThan(0);
    expect(proxy.seen.every((s) => s.method === 'CONNECT' && s.target === new URL(emu.url).host)).toBe(true);
    expect(emu.requests.length).toBeGreaterThan(10);
    expect(emu.requests.filter((r) => !proxy.upstreamPorts.has(r.remotePort ?? -1))).toEqual([]);
  });

  it('goes direct when NO_PROXY covers the API host', async () => {
    const { emu, proxy, dir, inputs } = await setup();
    const run = await runAction({ workspace: dir, inputs, env: { HTTP_PROXY: proxy.url, HTTPS_PROXY: proxy.url, NO_PROXY: '127.0.0.1' } });
    expect(run.exitCode, run.stdout).toBe(0);
    expect(emu.requests.length).toBeGreaterThan(0);
    expect(proxy.seen).toEqual([]);
  });

  it('does not follow a redirect, so the token never leaves for another origin', async () => {
    const { emu, dir, inputs } = await setup();
    const elsewhere = await emulator({ staticTokens: [] });
    emu.faults.add({
      route: 'listUploads',
      fault: { status: 307, location: `${elsewhere.apiUrl}/datastores/${emu.datastore}/uploads`, body: '' },
    });
    const run = await runAction({ workspace: dir, inputs });
    expect(run.exitCode).toBe(1);
    expect(run.errors[0]).toMatch(/HTTP 307/);
    expect(elsewhere.requests).toEqual([]);
  });
});

describe('TLS', () => {
  const tlsDir = path.join(FIXTURES, 'tls');

  async function httpsSetup() {
    const tls = { key: await readFile(path.join(tlsDir, 'key.pem'), 'utf8'), cert: await readFile(path.join(tlsDir, 'cert.pem'), 'utf8') };
    const emu = await emulator({ tls });
    const dir = await workspace();
    const inputs = actionInputs(emu, TOKEN, { name: 'over-tls' });
    return { emu, dir, inputs };
  }

  it('trusts the CA named in NODE_EXTRA_CA_CERTS, through the proxy named in HTTPS_PROXY', async () => {
    const { emu, dir, inputs } = await httpsSetup();
    const proxy = new ForwardProxy();
    await proxy.start();
    defer(() => proxy.stop());
    const run = await runAction({
      workspace: dir,
      inputs,
      env: { NODE_EXTRA_CA_CERTS: path.join(tlsDir, 'cert.pem'), HTTPS_PROXY: proxy.url },
    });
    expect(run.exitCode, run.stdout).toBe(0);
    expect(run.outputs.status).toBe('CLOSED');
    expect(emu.requests.filter((r) => !proxy.upstreamPorts.has(r.remotePort ?? -1))).toEqual([]);
  });

  it('refuses a certificate it cannot verify, saying why', async () => {
    const { emu, dir, inputs } = await httpsSetup();
    const run = await runAction({ workspace: dir, inputs: { ...inputs, retries: '1' } });
    expect(run.exitCode).toBe(1);
    expect(run.errors).toHaveLength(1);
    expect(run.errors[0]).toMatch(/self-signed certificate|SELF_SIGNED|unable to verify/i);
    expect(emu.requests).toEqual([]);
  });
});
