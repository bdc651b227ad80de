import { describe, expect, it } from 'vitest';
import type { Emulator } from '../emulator/server.js';
import { runAction } from '../scripts/action-runner.js';
import { createTokenSource } from '../src/http/auth.js';
import { AuthError } from '../src/shared/errors.js';
import { Http } from '../src/http/request.js';
import { Retrier } from '../src/http/retry.js';
import { actionInputs, harness } from './support/harness.js';
import { FAST_RETRY, publishTo } from './support/lifecycle.js';

// Token requests: one shared by the requests running at once, `retries` attempts in all, a refused
// secret one clear error at once, masked in every shape an endpoint may echo.

const TOKEN = 'test-token';
const { emulator, workspace } = harness({ staticTokens: [TOKEN] });

const routeCount = (emu: Emulator, route: string) => emu.requests.filter((r) => r.route === route).length;

describe('tokens', () => {
  it('a token endpoint that keeps failing is asked `retries` times in all, not inside every API retry', async () => {
    const emu = await emulator({ staticTokens: [], clients: [{ id: 'svc', secret: 's' }] });
    const dir = await workspace();
    emu.faults.add({ route: 'token', fault: { status: 503 } });
    const run = await publishTo(emu, dir, {
      auth: { kind: 'client-credentials', clientId: 'svc', clientSecret: 's' },
      retry: { ...FAST_RETRY, attempts: 3 },
    });
    expect(run.error).toBeInstanceOf(AuthError);
    expect(run.error?.message).toMatch(/could not give a token \(HTTP 503/);
    expect(routeCount(emu, 'token')).toBe(3);
    expect(emu.requests.filter((r) => r.route !== 'token')).toEqual([]);
  });

  it('a token endpoint that fails mid-run is asked `retries` times, then never again: one clear error', async () => {
    const emu = await emulator({ staticTokens: [], clients: [{ id: 'svc', secret: 's' }], tokenTtlSeconds: 1, checkDurationMs: 60_000 });
    const dir = await workspace();
    let broken = false;
    const run = await runAction({
      workspace: dir,
      inputs: actionInputs(emu, '', { 'client-id': 'svc', 'client-secret': 's', retries: '2', 'poll-interval': '0.2' }),
      onStdout: (text) => {
        if (!broken && text.includes('Wait for the checks')) {
          broken = true;
          emu.faults.add({ route: 'token', fault: { status: 503 } });
        }
      },
    });
    expect(run.exitCode).toBe(1);
    expect(run.errors).toHaveLength(1);
    expect(run.errors[0]).toMatch(/The token endpoint .* could not give a token \(HTTP 503/);
    // Two attempts in all once it broke: not two more for each request that needed a token.
    expect(emu.requests.filter((r) => r.route === 'token' && r.fault)).toHaveLength(2);
    expect(run.outputs.status).toBe('CHECKING');
  });

  it('requests running at once share one token request', async () => {
    const emu = await emulator({ staticTokens: [], clients: [{ id: 'svc', secret: 's' }], tokenTtlSeconds: 3600 });
    emu.faults.add({ route: 'token', times: 1, fault: { delayMs: 200 } });
    const http = new Http();
    const tokens = createTokenSource(
      { kind: 'client-credentials', clientId: 'svc', clientSecret: 's' },
      emu.tokenUrl,
      http,
      new Retrier(FAST_RETRY),
    );
    const got = await Promise.all(Array.from({ length: 8 }, () => tokens.get()));
    expect(new Set(got).size).toBe(1);
    expect(emu.tokensIssued).toHaveLength(1);
  });

  it('a refused secret is one clear error at once, masked in every shape the endpoint may echo', async () => {
    const secret = 'p&ss w+rd/é=%';
    const emu = await emulator({ staticTokens: [], clients: [{ id: 'svc', secret: 'right' }] });
    const dir = await workspace();
    emu.faults.add({ route: 'token', fault: { status: 401, echoRequest: true } });
    const run = await runAction({
      workspace: dir,
      inputs: actionInputs(emu, '', { 'client-id': 'svc', 'client-secret': secret }),
    });
    expect(run.exitCode).toBe(1);
    expect(run.errors).toHaveLength(1);
    expect(run.errors[0]).toMatch(/The token endpoint refused the credentials .*Check client-id and client-secret/);
    expect(routeCount(emu, 'token')).toBe(1);
    // The endpoint quoted the form it got, so the message carries the secret form-encoded. The runner
    // masks every value registered with add-mask; the summary is the action's to scrub.
    const masks = run.stdout
      .split('\n')
      .filter((l) => l.startsWith('::add-mask::'))
      .map((l) => l.slice('::add-mask::'.length).replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%25/g, '%'));
    const masked = masks.reduce(
      (text, mask) => text.split(mask).join('***'),
      run.stdout
        .split('\n')
        .filter((l) => !l.startsWith('::add-mask::'))
        .join('\n'),
    );
    const form = new URLSearchParams({ s: secret }).toString().slice(2);
    // What the endpoint echoed is scrubbed from the message itself.
    expect(run.errors[0]).toMatch(/pour la requête grant_type=client_credentials&client_id=svc&client_secret=\*\*\*/);
    for (const shape of [secret, form, encodeURIComponent(secret)]) {
      expect(masked).not.toContain(shape);
      expect(run.summary).not.toContain(shape);
    }
  });
});
