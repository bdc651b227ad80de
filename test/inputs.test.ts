import { describe, expect, it } from 'vitest';
import { InputError } from '../src/shared/errors.js';
import { PUBLIC_CLIENT_ID, readConfig } from '../src/config/inputs.js';

const base = { datastore: 'ds-1', glob: 'rasters/**/*.tif', name: 'ortho', srs: 'EPSG:2154', token: 'abc' };
const read = (inputs: Record<string, string>) => readConfig((name) => inputs[name] ?? '');

function inputError(inputs: Record<string, string>): InputError {
  try {
    read(inputs);
  } catch (error) {
    expect(error).toBeInstanceOf(InputError);
    return error as InputError;
  }
  throw new Error('expected an InputError');
}

describe('readConfig', () => {
  it('applies the contract defaults', () => {
    const config = read(base);
    expect(config).toMatchObject({
      datastore: 'ds-1',
      patterns: ['rasters/**/*.tif'],
      name: 'ortho',
      srs: 'EPSG:2154',
      epsg: 2154,
      description: 'ortho',
      auth: { kind: 'token', token: 'abc' },
      apiUrl: 'https://data.geopf.fr/api',
      ifExists: 'resume',
      close: true,
      waitForChecks: true,
      checksTimeoutMs: 60 * 60_000,
      pollIntervalMs: 10_000,
      concurrency: 4,
      retries: 5,
      checksums: true,
      ifNoFilesFound: 'error',
      dryRun: false,
    });
    expect(config.shard).toBeUndefined();
  });

  it('reads every input', () => {
    const config = read({
      ...base,
      glob: 'a/*.tif\n!a/skip.tif\n\n# comment',
      description: 'Orthos',
      tags: 'datasheet_name=ortho\nyear = 2024',
      'if-exists': 'Replace',
      'upload-id': 'u-1',
      close: 'false',
      'wait-for-checks': 'False',
      'checks-timeout': '0.5',
      'poll-interval': '2.5',
      concurrency: '8',
      retries: '3',
      checksums: 'FALSE',
      'if-no-files-found': 'warn',
      shard: '2/3',
      'dry-run': 'true',
      'api-url': 'http://127.0.0.1:9/api/',
    });
    expect(config).toMatchObject({
      patterns: ['a/*.tif', '!a/skip.tif'],
      description: 'Orthos',
      tags: { datasheet_name: 'ortho', year: '2024' },
      ifExists: 'replace',
      uploadId: 'u-1',
      close: false,
      waitForChecks: false,
      checksTimeoutMs: 30_000,
      pollIntervalMs: 2500,
      concurrency: 8,
      retries: 3,
      checksums: false,
      ifNoFilesFound: 'warn',
      shard: { index: 2, count: 3 },
      dryRun: true,
      apiUrl: 'http://127.0.0.1:9/api',
    });
  });

  it.each([
    [{ datastore: '' }, 'datastore', /required/],
    [{ glob: '' }, 'glob', /required/],
    [{ glob: '# only a comment' }, 'glob', /no pattern/],
    [{ name: '' }, 'name', /required/],
    [{ srs: '' }, 'srs', /required/],
    [{ srs: '2154' }, 'srs', /EPSG:2154/],
    [{ srs: 'Lambert93' }, 'srs', /EPSG:<code>/],
    [{ datastore: 'a/b' }, 'datastore', /not an id/],
    [{ concurrency: 'abc' }, 'concurrency', /whole number from 1 to 64/],
    [{ concurrency: '0' }, 'concurrency', /whole number/],
    [{ retries: '2.5' }, 'retries', /whole number/],
    [{ 'checks-timeout': '-1' }, 'checks-timeout', /positive number/],
    [{ 'checks-timeout': '0' }, 'checks-timeout', /positive number/],
    [{ 'poll-interval': 'soon' }, 'poll-interval', /positive number/],
    // Past Node's timer limit (about 24.8 days) a wait fires at once: polling became a hot loop.
    [{ 'checks-timeout': '10081' }, 'checks-timeout', /positive number up to 10080/],
    [{ 'checks-timeout': '1e9' }, 'checks-timeout', /positive number up to 10080/],
    [{ 'poll-interval': '3601' }, 'poll-interval', /positive number up to 3600/],
    [{ prune: 'yes' }, 'prune', /boolean/],
    [{ shard: '4/3' }, 'shard', /i\/n/],
    [{ shard: '0/3' }, 'shard', /i\/n/],
    [{ shard: 'half' }, 'shard', /i\/n/],
    [{ 'if-exists': 'overwrite' }, 'if-exists', /resume, replace, fail, create/],
    [{ 'if-no-files-found': 'skip' }, 'if-no-files-found', /error, warn, ignore/],
    [{ close: 'yes' }, 'close', /boolean/],
    [{ 'dry-run': '1' }, 'dry-run', /boolean/],
    [{ tags: 'novalue' }, 'tags', /key=value/],
    [{ tags: 'github_sha=x' }, 'tags', /set by the action/],
    [{ 'api-url': 'data.geopf.fr' }, 'api-url', /not a URL/],
    [{ 'token-url': 'ftp://x/token' }, 'token-url', /http\(s\)/],
    [{ 'api-url': 'https://user:pw@x/api' }, 'api-url', /credentials/],
    [{ token: '' }, 'token', /no authentication/],
    [{ token: 'Bearer abc' }, 'token', /white space/],
    [{ username: 'u', password: 'p' }, 'token', /exactly one/],
    [{ 'client-id': 'c', 'client-secret': 's' }, 'token', /exactly one/],
  ])('refuses %j naming %s', (override, input, problem) => {
    const error = inputError({ ...base, ...override });
    expect(error.input).toBe(input);
    expect(error.message).toMatch(problem);
    expect(error.message).toMatch(new RegExp(`^Input '${input}': `));
    expect(error.message).not.toContain('\n');
  });

  it('lets a dry run go without credentials (a fork has none), and nothing else', () => {
    expect(readConfig((name) => ({ ...base, token: '', 'dry-run': 'true' })[name] ?? '').auth).toBeUndefined();
    expect(inputError({ ...base, token: '' }).input).toBe('token');
  });

  it.each([
    [{ 'client-id': 'c' }, 'client-secret'],
    [{ 'client-secret': 's' }, 'client-id'],
    [{ username: 'u' }, 'password'],
    [{ password: 'p' }, 'username'],
    [{ username: 'u', password: 'p', 'totp-secret': 'not base32!' }, 'totp-secret'],
    [{ 'client-id': 'c', 'client-secret': 's', 'totp-secret': 'JBSWY3DP' }, 'totp-secret'],
  ])('checks the parts of an authentication method: %j', (auth, input) => {
    expect(inputError({ ...base, token: '', ...auth }).input).toBe(input);
  });

  it('builds each authentication method', () => {
    expect(read({ ...base, token: '', 'client-id': 'svc', 'client-secret': 's3cret' }).auth).toEqual({
      kind: 'client-credentials',
      clientId: 'svc',
      clientSecret: 's3cret',
    });
    expect(read({ ...base, token: '', username: 'jane', password: 'pw', 'totp-secret': 'JBSW Y3DP EHPK 3PXP' }).auth).toMatchObject({
      kind: 'password',
      clientId: PUBLIC_CLIENT_ID,
      username: 'jane',
      totpSecret: 'JBSW Y3DP EHPK 3PXP',
    });
    expect(read({ ...base, token: '', username: 'jane', password: 'pw', 'client-id': 'mine' }).auth).toMatchObject({
      kind: 'password',
      clientId: 'mine',
      clientSecret: '',
    });
  });

  it('the catalogue inputs: a record needs a layer and a fiche; the thumbnail is auto, none or an image in the workspace', () => {
    const layer = { ...base, layer: 'ortho_2024' };
    expect(read({ ...layer, datasheet: 'Ortho', metadata: 'catalogue/ortho.yml' })).toMatchObject({
      metadata: 'catalogue/ortho.yml',
      metadataPublish: true,
      thumbnail: { kind: 'auto' },
    });
    expect(inputError({ ...base, datasheet: 'Ortho', metadata: 'm.yml' }).message).toBe(
      "Input 'metadata': describes a layer; set layer too (or leave metadata empty)",
    );
    expect(inputError({ ...layer, metadata: 'm.yml' }).message).toMatch(/^Input 'metadata': belongs to a fiche de données; set datasheet/);
    expect(inputError({ ...layer, datasheet: 'Ortho', metadata: '../m.yml' }).message).toMatch(/is not a path inside the workspace/);
    expect(read({ ...layer, thumbnail: 'catalogue/vignette.PNG' }).thumbnail).toEqual({ kind: 'file', path: 'catalogue/vignette.PNG' });
    expect(inputError({ ...layer, thumbnail: 'vignette.gif' }).message).toBe(
      "Input 'thumbnail': 'vignette.gif' is neither auto, none, nor a .png or .jpg file inside the workspace",
    );
  });
});
