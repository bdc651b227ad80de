import { createHmac, randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { HttpError, readText } from './http.js';
import type { Context } from './core.js';
import type { Core } from './core.js';
import type { RequestRecord } from './options.js';

/** The public password-grant client (docs/api.md, "Authentication"). */
const PUBLIC_CLIENT = { id: 'gpf-warehouse', secret: 'BK2G7Vvkn7UDc8cV7edbCnHdYminWVw2' };

/**
 * Keycloak's token endpoint as the platform's realm answers it (client credentials, and the
 * password grant of the public client with an optional TOTP), and the bearer tokens it issued,
 * each with its expiry.
 */
export class Keycloak {
  readonly issued: Array<{ grant: string; token: string; at: number }> = [];
  private readonly tokens = new Map<string, number>(); // token -> expiry (ms epoch)

  constructor(private readonly core: Core) {
    for (const token of core.options.staticTokens ?? []) this.tokens.set(token, Number.POSITIVE_INFINITY);
  }

  authenticate(req: IncomingMessage, record: RequestRecord): void {
    const header = req.headers.authorization ?? '';
    const token = /^Bearer (.+)$/.exec(header)?.[1];
    if (!token) throw new HttpError(401, ['Authentification requise']);
    record.token = token;
    const expiry = this.tokens.get(token);
    if (expiry === undefined) throw new HttpError(401, ['Jeton invalide']);
    if (Date.now() >= expiry) {
      record.expiredToken = true;
      throw new HttpError(401, ['Jeton expiré']);
    }
  }

  async token(c: Context): Promise<void> {
    const form = new URLSearchParams(await readText(c.req));
    const grant = form.get('grant_type');
    const refuse = (status: number, error: string, description: string) =>
      this.core.json(c, status, { error, error_description: description });
    if (grant === 'client_credentials') {
      const client = (this.core.options.clients ?? []).find((k: { id: string; secret: string }) => k.id === form.get('client_id'));
      if (!client || client.secret !== form.get('client_secret'))
        return refuse(401, 'invalid_client', 'Invalid client or Invalid client credentials');
    } else if (grant === 'password') {
      if (form.get('client_id') !== PUBLIC_CLIENT.id || form.get('client_secret') !== PUBLIC_CLIENT.secret)
        return refuse(401, 'invalid_client', 'Invalid client or Invalid client credentials');
      const user = (this.core.options.users ?? []).find((u: { username: string }) => u.username === form.get('username'));
      if (!user || user.password !== form.get('password')) return refuse(401, 'invalid_grant', 'Invalid user credentials');
      if (user.totpSecret && !validTotp(user.totpSecret, form.get('totp') ?? ''))
        return refuse(401, 'invalid_grant', 'Invalid user credentials');
    } else {
      return refuse(400, 'unsupported_grant_type', 'Unsupported grant_type');
    }
    const ttl = this.core.options.tokenTtlSeconds ?? 300;
    const token = randomBytes(24).toString('base64url');
    this.tokens.set(token, Date.now() + ttl * 1000);
    this.issued.push({ grant: grant as string, token, at: Date.now() });
    this.core.json(c, 200, { access_token: token, expires_in: ttl, refresh_expires_in: ttl, token_type: 'Bearer', scope: 'profile email' });
  }
}

/**
 * RFC 6238 with a window of one step either side, as Keycloak allows by default. Written apart
 * from the action's own TOTP on purpose: the emulator must not share the code it checks.
 */
function validTotp(secret: string, code: string): boolean {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = 0;
  let value = 0;
  const bytes: number[] = [];
  for (const ch of secret.toUpperCase().replace(/[\s=-]/g, '')) {
    value = (value << 5) | alphabet.indexOf(ch);
    bits += 5;
    if (bits >= 8) {
      bytes.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  const key = Buffer.from(bytes);
  const step = Math.floor(Date.now() / 30_000);
  return [-1, 0, 1].some((offset) => {
    const counter = Buffer.alloc(8);
    counter.writeBigUInt64BE(BigInt(step + offset));
    const mac = createHmac('sha1', key).update(counter).digest();
    const at = mac[mac.length - 1] & 0x0f;
    return String((mac.readUInt32BE(at) & 0x7fffffff) % 1_000_000).padStart(6, '0') === code;
  });
}
