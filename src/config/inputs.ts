import { InputError } from '../shared/errors.js';
import { bool, integer, oneOf, positiveNumber, secretShapes, services, shard, tags, tms, url } from './values.js';
import type { AuthConfig, Config, InputReader } from './types.js';

/** The public `gpf-warehouse` client of the password grant; its secret ships in IGN's own docs. */
export const PUBLIC_CLIENT_ID = 'gpf-warehouse';
export const PUBLIC_CLIENT_SECRET = 'BK2G7Vvkn7UDc8cV7edbCnHdYminWVw2';

const MAX_CONCURRENCY = 64;
/** A week: the longest a GitHub-hosted job may last is 6 hours, a self-hosted one 5 days. */
const MAX_TIMEOUT_MINUTES = 10_080;
/** An hour between two reads of the checks is already more than anyone waits. */
const MAX_POLL_INTERVAL_SECONDS = 3600;
const MAX_RETRIES = 20;
const MAX_REBUILD_EVERY = 1000;
const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]*$/;
/** A configuration's layer_name (docs/api.md, "Layers"). */
const LAYER_NAME = /^[A-Za-z_][A-Za-z0-9_\-.]*$/;

/**
 * Reads and validates every input once. Throws an InputError naming the first bad input.
 * Secrets are masked before any validation can echo them.
 */
export function readConfig(read: InputReader, mask: (secret: string) => void = () => undefined): Config {
  const get = (name: string) => read(name).trim();
  const secrets: string[] = [];
  for (const secret of ['token', 'client-secret', 'password', 'totp-secret', 'github-token']) {
    const value = read(secret).trim();
    if (value) secrets.push(...secretShapes(value));
  }
  for (const shape of secrets) mask(shape);

  const what = readWhat(get);
  const dryRun = bool('dry-run', get('dry-run'), false);
  const close = bool('close', get('close'), true);
  const waitForChecks = bool('wait-for-checks', get('wait-for-checks'), true);
  const layer = layerName(get('layer') || undefined, close, waitForChecks);
  const given = tags(get('tags'));
  const datasheet = datasheetName(get('datasheet'), given);
  return {
    ...what,
    auth: readAuth(get, dryRun),
    apiUrl: url('api-url', get('api-url') || 'https://data.geopf.fr/api'),
    tokenUrl: url('token-url', get('token-url') || 'https://sso.geopf.fr/realms/geoplateforme/protocol/openid-connect/token'),
    // The fiche's name is a tag of everything the run makes (docs/api.md, "The fiche").
    tags: datasheet ? { ...given, [DATASHEET_TAG]: datasheet } : given,
    datasheet,
    ...readCatalogue(get, layer, datasheet),
    ifExists: oneOf('if-exists', get('if-exists') || 'resume', ['resume', 'replace', 'fail', 'create']),
    close,
    waitForChecks,
    checksTimeoutMs: positiveNumber('checks-timeout', get('checks-timeout'), 60, MAX_TIMEOUT_MINUTES, '90') * 60_000,
    pollIntervalMs: positiveNumber('poll-interval', get('poll-interval'), 10, MAX_POLL_INTERVAL_SECONDS, '30') * 1000,
    concurrency: integer('concurrency', get('concurrency'), 4, 1, MAX_CONCURRENCY),
    retries: integer('retries', get('retries'), 5, 1, MAX_RETRIES),
    checksums: bool('checksums', get('checksums'), true),
    ifNoFilesFound: oneOf('if-no-files-found', get('if-no-files-found') || 'error', ['error', 'warn', 'ignore']),
    shard: shard(get('shard')),
    dryRun,
    prune: bool('prune', get('prune'), true),
    secrets,
    layer,
    ...readLayer(get, layer),
    comment: oneOf('comment', get('comment') || 'auto', ['auto', 'never']),
    githubToken: get('github-token') || undefined,
  };
}

/** What is published, and where: the datastore, the files, the upload's name, SRS and description. */
function readWhat(get: (name: string) => string) {
  const required = (name: string, example: string) => {
    const value = get(name);
    if (!value) throw new InputError(name, `is required; for example ${name}: ${example}`);
    return value;
  };
  const datastore = identifier('datastore', required('datastore', '8b4a5c3e-1f2d-4e6a-9b7c-0d1e2f3a4b5c'));
  const patterns = required('glob', 'rasters/**/*.tif')
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
  if (patterns.length === 0) throw new InputError('glob', 'has no pattern; for example glob: rasters/**/*.tif');
  const name = required('name', 'orthophoto-2024');
  const srs = required('srs', 'EPSG:2154');
  const srsMatch = /^EPSG:(\d{4,6})$/i.exec(srs);
  if (!srsMatch) throw new InputError('srs', `'${srs}' is not an EPSG code; write it as EPSG:<code>, for example EPSG:2154`);
  const epsg = Number(srsMatch[1]);
  const description = get('description') || name;
  const uploadId = get('upload-id') ? identifier('upload-id', get('upload-id')) : undefined;
  return { datastore, patterns, name, srs: `EPSG:${epsg}`, epsg, description, uploadId };
}

function identifier(name: string, value: string): string {
  if (!ID_PATTERN.test(value))
    throw new InputError(name, `'${value}' is not an id (letters, digits, '-' and '_'); for example 8b4a5c3e-1f2d-4e6a-9b7c-0d1e2f3a4b5c`);
  return value;
}

/** The layer's name, refused before anything else of the layer when it cannot be one, or cannot be served. */
function layerName(layer: string | undefined, close: boolean, waitForChecks: boolean): string | undefined {
  if (layer === undefined) return undefined;
  if (!LAYER_NAME.test(layer))
    throw new InputError(
      'layer',
      `'${layer}' is not a layer name (a letter or _, then letters, digits, _, - and .); for example layer: ortho_2024`,
    );
  if (!close || !waitForChecks)
    throw new InputError(
      'layer',
      'needs the upload closed and its checks passed: remove close: false and wait-for-checks: false, or publish the layer in a later step',
    );
  return layer;
}

/** How the layer is built and served. */
function readLayer(get: (name: string) => string, layer: string | undefined) {
  const level = (input: string) => {
    const value = get(input);
    if (value && !/^\d{1,2}$/.test(value))
      throw new InputError(input, `'${value}' is not a level of the tile matrix set; for example ${input}: 18`);
    return value || undefined;
  };
  return {
    services: services(get('services')),
    tms: tms(get('tms')),
    compression: oneOf('compression', get('compression') || 'jpg', ['jpg', 'jpg90', 'png', 'zip']),
    interpolation: oneOf('interpolation', get('interpolation') || 'bicubic', ['bicubic', 'linear', 'nn']),
    bottomLevel: level('bottom-level'),
    topLevel: level('top-level'),
    layerTitle: get('layer-title') || undefined,
    layerAbstract: get('layer-abstract') || undefined,
    public: bool('public', get('public'), true),
    processingTimeoutMs: positiveNumber('processing-timeout', get('processing-timeout'), 180, MAX_TIMEOUT_MINUTES, '240') * 60_000,
    keepUpload: bool('keep-upload', get('keep-upload'), false),
    update: oneOf('update', get('update') || 'auto', ['auto', 'incremental', 'full']),
    rebuildEvery: integer('rebuild-every', get('rebuild-every'), 20, 0, MAX_REBUILD_EVERY),
    mask: oneOf('mask', get('mask') || 'auto', ['auto', 'true', 'false']),
    retainUploads: retainUploads(get('retain-uploads'), layer),
  };
}

/** `all`, or how many CLOSED uploads of the name this repository keeps (README, "Upload only"). */
function retainUploads(value: string, layer: string | undefined): number | 'all' {
  if (!value || value === 'all') return 'all';
  if (layer !== undefined)
    throw new InputError(
      'retain-uploads',
      "applies without layer: a layer's upload is deleted once its pyramid holds the data; remove retain-uploads",
    );
  if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > 1000)
    throw new InputError('retain-uploads', `'${value}' is not 'all' nor a number of uploads from 1 to 1000; for example retain-uploads: 3`);
  return Number(value);
}

/** The tag that makes a fiche de données of what carries it, in cartes.gouv.fr. */
export const DATASHEET_TAG = 'datasheet_name';

/** `datasheet`, or a `datasheet_name` in `tags`; both, they must agree. */
function datasheetName(value: string, given: Record<string, string>): string | undefined {
  const tagged = given[DATASHEET_TAG];
  if (value && tagged && value !== tagged)
    throw new InputError('datasheet', `is '${value}' but tags say datasheet_name=${tagged}; give the fiche's name once, in datasheet`);
  if (value.length > 255) throw new InputError('datasheet', 'is longer than 255 characters; a fiche de données has a short name');
  return value || tagged || undefined;
}

/** The record and the thumbnail of the fiche: both need a layer, the record a fiche to belong to. */
function readCatalogue(get: (name: string) => string, layer: string | undefined, datasheet: string | undefined) {
  const metadata = get('metadata').trim() || undefined;
  if (metadata && !layer) throw new InputError('metadata', 'describes a layer; set layer too (or leave metadata empty)');
  if (metadata && !datasheet)
    throw new InputError(
      'metadata',
      "belongs to a fiche de données; set datasheet (the fiche's name), for example datasheet: Orthophotographie 2024",
    );
  if (metadata && (metadata.startsWith('/') || metadata.split(/[\\/]/).includes('..')))
    throw new InputError('metadata', `'${metadata}' is not a path inside the workspace; give it relative to the repository's root`);
  const thumbnailInput = get('thumbnail').trim() || 'auto';
  const thumbnail: Config['thumbnail'] | undefined =
    thumbnailInput === 'auto' || thumbnailInput === 'none'
      ? { kind: thumbnailInput }
      : /\.(png|jpe?g)$/i.test(thumbnailInput) && !thumbnailInput.startsWith('/') && !thumbnailInput.split(/[\\/]/).includes('..')
        ? { kind: 'file' as const, path: thumbnailInput }
        : undefined;
  if (!thumbnail)
    throw new InputError('thumbnail', `'${thumbnailInput}' is neither auto, none, nor a .png or .jpg file inside the workspace`);
  return { metadata, metadataPublish: bool('metadata-publish', get('metadata-publish'), true), thumbnail } as const;
}

function readAuth(get: (name: string) => string, dryRun: boolean): AuthConfig | undefined {
  const token = get('token');
  const clientId = get('client-id');
  const clientSecret = get('client-secret');
  const username = get('username');
  const password = get('password');
  const totpSecret = get('totp-secret');

  const methods = [
    token && 'token',
    (clientId || clientSecret) && !username && !password && 'client-id + client-secret',
    (username || password) && 'username + password',
  ].filter(Boolean);
  // A pull request from a fork gets no secrets: its dry run checks what can be checked locally.
  if (methods.length === 0 && dryRun) return undefined;
  if (methods.length === 0)
    throw new InputError(
      'token',
      'no authentication given; set token, or client-id and client-secret (service account), or username and password',
    );
  if (methods.length > 1)
    throw new InputError(token ? 'token' : 'client-id', `give exactly one way of authenticating, not ${methods.join(' and ')}`);
  if (totpSecret && !username) throw new InputError('totp-secret', 'is only used with username and password; remove it or add them');

  if (token) {
    if (/\s/.test(token)) throw new InputError('token', 'contains white space; paste the access token alone, without "Bearer "');
    return { kind: 'token', token };
  }
  if (!username && !password) {
    if (!clientId) throw new InputError('client-id', 'is required with client-secret; for example client-id: my-service-account');
    if (!clientSecret)
      throw new InputError(
        'client-secret',
        'is required with client-id; store it as a secret: client-secret: ${{ secrets.GPF_CLIENT_SECRET }}',
      );
    return { kind: 'client-credentials', clientId, clientSecret };
  }
  if (!username) throw new InputError('username', 'is required with password; for example username: jane.doe@example.org');
  if (!password) throw new InputError('password', 'is required with username; store it as a secret: password: ${{ secrets.GPF_PASSWORD }}');
  if (totpSecret && !/^[A-Z2-7]+=*$/i.test(totpSecret.replace(/[\s-]/g, '')))
    throw new InputError(
      'totp-secret',
      'is not a base32 key (letters A-Z and digits 2-7), as shown when you enabled two-factor authentication',
    );
  return {
    kind: 'password',
    clientId: clientId || PUBLIC_CLIENT_ID,
    clientSecret: clientId ? clientSecret : PUBLIC_CLIENT_SECRET,
    username,
    password,
    totpSecret: totpSecret || undefined,
  };
}
