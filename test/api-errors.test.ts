import { describe, expect, it } from 'vitest';
import { flattenTree, toStoredData } from '../src/entrepot/shapes.js';
import { errorDetails, parseContentRangeTotal, parseRetryAfter } from '../src/entrepot/transport.js';
import { ApiError, AuthError, BadResponseError, LocalFileError, NetworkError } from '../src/shared/errors.js';
import { backoffDelay, classify } from '../src/http/retry.js';

// How the API's answers are read: error bodies of every shape, which failures are retried, pages
// and trees.
const isTransient = (error: unknown) => classify(error) !== 'fatal';
const outcomeUnknown = (error: unknown) => classify(error) === 'unknown';

describe('errorDetails reads every error body shape', () => {
  it.each([
    [{ error_description: ['un beau message', 'et de deux'] }, ['un beau message', 'et de deux']],
    [{ error_description: 'une chaîne' }, ['une chaîne']],
    [{ error: 'invalid_grant', error_description: 'Invalid user credentials' }, ['Invalid user credentials']],
    [{ error: 'invalid_grant' }, ['invalid_grant']],
    [{ message: 'Not Found' }, ['Not Found']],
    [
      ['a', 'b'],
      ['a', 'b'],
    ],
    ['plain text', ['plain text']],
    ['<html><body><h1>502 Bad Gateway</h1>\n</body></html>', ['502 Bad Gateway']],
    [undefined, []],
    [{ status: 500 }, []],
  ])('%j', (body, lines) => {
    expect(errorDetails(body)).toEqual(lines);
  });
});

describe('retry classification', () => {
  it('retries network errors, 408, 429 and 5xx only', () => {
    expect(isTransient(new NetworkError('GET', '/x', 'ECONNRESET'))).toBe(true);
    for (const status of [408, 429, 500, 502, 503, 504]) expect(isTransient(new ApiError(status, 'GET', '/x', []))).toBe(true);
    for (const status of [400, 401, 403, 404, 409, 413]) expect(isTransient(new ApiError(status, 'GET', '/x', []))).toBe(false);
    expect(isTransient(new Error('bug'))).toBe(false);
    expect(isTransient(new LocalFileError('a.tif', 'changed while it was sent'))).toBe(false);
    expect(isTransient(new AuthError('refused'))).toBe(false);
  });

  it('knows which failures may have stored the file anyway', () => {
    expect(outcomeUnknown(new NetworkError('POST', '/x', 'socket hang up'))).toBe(true);
    expect(outcomeUnknown(new ApiError(502, 'POST', '/x', []))).toBe(true);
    expect(outcomeUnknown(new ApiError(504, 'POST', '/x', []))).toBe(true);
    expect(outcomeUnknown(new ApiError(503, 'POST', '/x', []))).toBe(false);
    expect(outcomeUnknown(new ApiError(429, 'POST', '/x', []))).toBe(false);
    // A 200 that is not what the API returns may still mean the server acted.
    expect(outcomeUnknown(new BadResponseError('POST', '/x', 'not JSON'))).toBe(true);
  });

  it('reads Retry-After as seconds or as a date', () => {
    expect(parseRetryAfter('3')).toBe(3000);
    expect(parseRetryAfter(undefined)).toBeUndefined();
    const inTenSeconds = new Date(Date.now() + 10_000).toUTCString();
    expect(parseRetryAfter(inTenSeconds)).toBeGreaterThan(8000);
    expect(parseRetryAfter('soon')).toBeUndefined();
  });

  it('backs off exponentially with jitter, honouring Retry-After up to a cap', () => {
    const policy = { attempts: 5, baseDelayMs: 1000, maxDelayMs: 8000, maxRetryAfterMs: 60_000 };
    const plain = new ApiError(503, 'GET', '/x', []);
    for (const [attempt, low, high] of [
      [1, 500, 1000],
      [2, 1000, 2000],
      [3, 2000, 4000],
      [5, 4000, 8000],
    ]) {
      const delay = backoffDelay(policy, attempt, plain);
      expect(delay).toBeGreaterThanOrEqual(low);
      expect(delay).toBeLessThanOrEqual(high);
    }
    const limited = new ApiError(429, 'GET', '/x', [], undefined, 7000);
    expect(backoffDelay(policy, 1, limited)).toBe(7000);
    const tooLong = new ApiError(429, 'GET', '/x', [], undefined, 3_600_000);
    expect(backoffDelay(policy, 1, tooLong)).toBe(60_000);
  });
});

describe('API shapes', () => {
  it('reads the total of a Content-Range', () => {
    expect(parseContentRangeTotal('0-9/42')).toBe(42);
    expect(parseContentRangeTotal('items 10-19/20')).toBe(20);
    expect(parseContentRangeTotal('*/0')).toBeUndefined();
    expect(parseContentRangeTotal(undefined)).toBeUndefined();
  });

  it('reads an extent of 200,000 points without overflowing the stack, and fields of the wrong type as absent', () => {
    const ring = Array.from({ length: 200_000 }, (_, i) => [2 + (i % 1000) * 1e-4, 48 + Math.floor(i / 1000) * 1e-4]);
    const sd = toStoredData({
      _id: 'p',
      status: 'GENERATED',
      extent: { type: 'Polygon', coordinates: [ring] },
      type_infos: { tms: 5, levels: [{}] },
      tags: { n: 3 },
    });
    expect(sd.bbox?.map((v) => Number(v.toFixed(4)))).toEqual([2, 48, 2.0999, 48.0199]);
    expect(sd).toMatchObject({ tms: undefined, levels: [], tags: { n: '3' } });
  });

  it('flattens the tree to path → size', () => {
    const tree = flattenTree([
      {
        type: 'DIRECTORY',
        name: 'data',
        size: 30,
        children: [
          { type: 'FILE', name: 'a.tif', size: 10 },
          { type: 'DIRECTORY', name: 'sub', size: 20, children: [{ type: 'FILE', name: 'b.tif', size: 20 }] },
        ],
      },
      { type: 'FILE', name: 'checksums.md5', size: 99 },
    ]);
    expect([...tree]).toEqual([
      ['data/a.tif', 10],
      ['data/sub/b.tif', 20],
      ['checksums.md5', 99],
    ]);
  });
});
