import { createHmac } from 'node:crypto';
import { AuthError, ApiError } from './errors.js';
import type { Http } from './http.js';
import type { AuthConfig } from './inputs.js';

/** Gives a valid bearer token; the only place where tokens are renewed. */
export interface TokenSource {
  get(): Promise<string>;
  /** Forgets `token` (the API answered 401 with it), so the next get() asks for a new one. */
  invalidate(token: string): void;
}

/**
 * Renew this long before `expires_in` runs out: a minute, or a fifth of a short lifetime, so a
 * request never leaves with a token about to expire. The SDK uses no margin (entrepot-api.md §1).
 */
const MAX_RENEWAL_MARGIN_MS = 60_000;
const RENEWAL_MARGIN_FRACTION = 0.2;

export function createTokenSource(auth: AuthConfig, tokenUrl: string, http: Http, onToken?: (token: string) => void): TokenSource {
  if (auth.kind === 'token') return { get: async () => auth.token, invalidate: () => undefined };
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
  return new OAuthTokenSource(tokenUrl, form, http, auth.kind === 'password', onToken);
}

class OAuthTokenSource implements TokenSource {
  private current?: { token: string; renewAt: number };
  private pending?: Promise<string>;

  constructor(
    private readonly tokenUrl: string,
    private readonly form: () => Record<string, string>,
    private readonly http: Http,
    private readonly passwordGrant: boolean,
    private readonly onToken?: (token: string) => void,
  ) {}

  get(): Promise<string> {
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
    let body: unknown;
    try {
      ({ body } = await this.http.send({ method: 'POST', url: this.tokenUrl, form: this.form() }));
    } catch (error) {
      if (error instanceof ApiError && error.status >= 400 && error.status < 500) throw this.refusal(error);
      throw error;
    }
    const record = (body ?? {}) as { access_token?: unknown; expires_in?: unknown };
    if (typeof record.access_token !== 'string' || !record.access_token)
      throw new AuthError(`The token endpoint answered without an access_token (${this.tokenUrl})`);
    const token = record.access_token;
    this.onToken?.(token);
    const lifetimeMs = Number(record.expires_in) > 0 ? Number(record.expires_in) * 1000 : MAX_RENEWAL_MARGIN_MS * 5;
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
