import { createHmac } from 'node:crypto';
import { ApiError, AuthError, CancelledError, reasonOf } from '../shared/errors.js';
import type { Http } from './request.js';
import { plainText } from '../shared/format.js';
import type { AuthConfig } from '../config/types.js';
import type { Retrier } from './retry.js';

/** Gives a valid bearer token; the only place where tokens are renewed. */
export interface TokenSource {
  get(): Promise<string>;
  /** Forgets `token` (the API answered 401 with it), so the next get() asks for a new one. */
  invalidate(token: string): void;
}

/**
 * Renew this long before `expires_in` runs out: a minute, or a fifth of a short lifetime, so a
 * request never leaves with a token about to expire. The SDK uses no margin (docs/api.md).
 */
const MAX_RENEWAL_MARGIN_MS = 60_000;
const RENEWAL_MARGIN_FRACTION = 0.2;

export function createTokenSource(
  auth: AuthConfig,
  tokenUrl: string,
  http: Http,
  retry: Retrier,
  onToken?: (token: string) => void,
): TokenSource {
  if (auth.kind === 'token') return { get: () => Promise.resolve(auth.token), invalidate: () => undefined };
  const form = (): Record<string, string> =>
    auth.kind === 'client-credentials'
      ? { grant_type: 'client_credentials', client_id: auth.clientId, client_secret: auth.clientSecret }
      : {
          grant_type: 'password',
          client_id: auth.clientId,
          ...(auth.clientSecret ? { client_secret: auth.clientSecret } : {}),
          username: auth.username,
          password: auth.password,
          ...(auth.totpSecret ? { totp: totp(auth.totpSecret) } : {}),
        };
  return new OAuthTokenSource(tokenUrl, form, http, retry, auth.kind === 'password', onToken);
}

class OAuthTokenSource implements TokenSource {
  private current?: { token: string; renewAt: number };
  private pending?: Promise<string>;
  /** A token request that failed for good: every later get() fails the same way, at once. */
  private failure?: AuthError;

  constructor(
    private readonly tokenUrl: string,
    private readonly form: () => Record<string, string>,
    private readonly http: Http,
    private readonly retry: Retrier,
    private readonly passwordGrant: boolean,
    private readonly onToken?: (token: string) => void,
  ) {}

  get(): Promise<string> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.current && Date.now() < this.current.renewAt) return Promise.resolve(this.current.token);
    // Concurrent requests share one token request.
    this.pending ??= this.fetch().finally(() => (this.pending = undefined));
    return this.pending;
  }

  invalidate(token: string): void {
    if (this.current?.token === token) this.current = undefined;
  }

  private async fetch(): Promise<string> {
    const requestedAt = Date.now();
    let body: { access_token?: unknown; expires_in?: unknown };
    try {
      // A token request changes nothing on the datastore: retried as a read, on its own budget.
      body = await this.retry.read('token request', async () => {
        const res = await this.http.send({ method: 'POST', url: this.tokenUrl, form: this.form() });
        if (res.status >= 200 && res.status < 300) return parseTokenAnswer(res.text);
        throw new ApiError(res.status, 'POST', new URL(this.tokenUrl).pathname, keycloakError(res.text));
      });
    } catch (error) {
      if (error instanceof ApiError && error.status >= 400 && error.status < 500) throw (this.failure = this.refusal(error));
      if (error instanceof AuthError) throw (this.failure = error);
      if (error instanceof CancelledError) throw error;
      throw (this.failure = new AuthError(
        `The token endpoint ${this.tokenUrl} could not give a token (${reasonOf(error)}); check input 'token-url', or try again later`,
      ));
    }
    if (typeof body.access_token !== 'string' || !body.access_token)
      throw (this.failure = new AuthError(`The token endpoint answered without an access_token (${this.tokenUrl})`));
    const token = body.access_token;
    this.onToken?.(token);
    const lifetimeMs = Number(body.expires_in) > 0 ? Number(body.expires_in) * 1000 : MAX_RENEWAL_MARGIN_MS * 5;
    const margin = Math.min(MAX_RENEWAL_MARGIN_MS, lifetimeMs * RENEWAL_MARGIN_FRACTION);
    this.current = { token, renewAt: requestedAt + lifetimeMs - margin };
    return token;
  }

  private refusal(error: ApiError): AuthError {
    const reason = error.details.join('; ') || `HTTP ${error.status}`;
    const hint = this.passwordGrant
      ? 'Check username, password and totp-secret; Géoplateforme passwords must be renewed every year, and accounts made through FranceConnect or ProConnect have none (use a service account)'
      : 'Check client-id and client-secret of the service account';
    return new AuthError(`The token endpoint refused the credentials (${reason}). ${hint}`);
  }
}

function parseTokenAnswer(text: string): { access_token?: unknown; expires_in?: unknown } {
  try {
    const body = JSON.parse(text) as unknown;
    if (body && typeof body === 'object') return body;
  } catch {
    // not JSON: said below
  }
  throw new AuthError("The token endpoint answered something that is not a token (not JSON); check input 'token-url'");
}

/** Keycloak's `{error, error_description}` (a string), or the first words of a non-JSON body. */
function keycloakError(text: string): string[] {
  try {
    const body = JSON.parse(text) as { error?: unknown; error_description?: unknown };
    const description = body.error_description ?? body.error;
    if (description !== undefined) return [typeof description === 'string' ? description : JSON.stringify(description)];
  } catch {
    // a gateway's page
  }
  const plain = plainText(text);
  return plain ? [plain.slice(0, 200)] : [];
}

/** RFC 6238 TOTP: HMAC-SHA1, 30 s steps, 6 digits, from a base32 secret (RFC 4648). */
export function totp(secret: string, now = Date.now(), stepSeconds = 30, digits = 6): string {
  const key = base32Decode(secret);
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(now / 1000 / stepSeconds)));
  const mac = createHmac('sha1', key).update(counter).digest();
  const offset = mac[mac.length - 1] & 0x0f;
  const code = (mac.readUInt32BE(offset) & 0x7fffffff) % 10 ** digits;
  return String(code).padStart(digits, '0');
}

function base32Decode(secret: string): Buffer {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  const clean = secret.toUpperCase().replace(/[\s=-]/g, '');
  let bits = 0;
  let value = 0;
  const out: number[] = [];
  for (const char of clean) {
    const index = alphabet.indexOf(char);
    if (index < 0) throw new AuthError('totp-secret is not base32');
    value = (value << 5) | index;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}
