import { describe, expect, it } from 'vitest';
import { totp } from '../src/http/auth.js';

// The one-time codes of the password grant with two-factor authentication (auth.ts).

describe('TOTP', () => {
  // RFC 6238 appendix B: secret "12345678901234567890" (ASCII), SHA-1, 8 digits.
  const secret = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';
  it.each([
    [59, '94287082'],
    [1111111109, '07081804'],
    [1234567890, '89005924'],
    [2000000000, '69279037'],
  ])('at %i s gives %s', (seconds, code) => {
    expect(totp(secret, seconds * 1000, 30, 8)).toBe(code);
  });
});
