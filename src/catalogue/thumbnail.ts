import { createHash } from 'node:crypto';
import path from 'node:path';
import type { Annex, CatalogueApi } from '../entrepot/catalogue.js';
import type { Config } from '../config/types.js';
import { abortError, deadline } from '../shared/abort.js';
import { ApiError, errorText, InputError } from '../shared/errors.js';
import { readNamedFile } from '../workspace/files.js';

/**
 * The fiche's thumbnail: an annex labelled `type=thumbnail` and `datasheet_name=…`, published, at a
 * path named by its content (`thumbnail/{layer}-{md5}.png`): a new image gets a new path, as the
 * portal does so that no cache serves the old one, and a lost answer to its create is found again
 * at that path. Its public URL goes into the record's graphicOverview; the earlier thumbnails of
 * the fiche are deleted once the record no longer names them (docs/catalogue.md, "Thumbnail").
 */

/** The portal's limit for a thumbnail. */
export const MAX_THUMBNAIL_BYTES = 2 * 1024 * 1024;
/** How long the layer's preview is waited for. */
const PREVIEW_TIMEOUT_MS = 30_000;

export interface ThumbnailInput {
  choice: Config['thumbnail'];
  workspace: string;
  layer: string;
  datasheet: string;
  /** `…/annexes/{technical_name}`; undefined: the datastore does not say its technical name. */
  annexRoot?: string;
  /** The layer's preview (a public layer's GetMap), for `auto`. */
  preview?: string;
  /** Whether the run built a pyramid: the preview of an unchanged layer is the thumbnail it has. */
  built: boolean;
  dryRun: boolean;
  signal?: AbortSignal;
}

export interface ThumbnailOutcome {
  url?: string;
  fileType?: string;
  verdict: 'created' | 'kept' | 'none' | 'would create';
  why?: string;
  /** The fiche's other thumbnails, to delete once the record names the new one. */
  stale: Annex[];
}

export async function reconcileThumbnail(
  api: CatalogueApi,
  input: ThumbnailInput,
  warn: (message: string) => void,
): Promise<ThumbnailOutcome> {
  if (input.choice.kind === 'none') return { verdict: 'none', why: 'thumbnail: none', stale: [] };
  if (!input.annexRoot)
    return { verdict: 'none', why: "the datastore does not give its technical name, which an annex's URL holds", stale: [] };
  if (input.datasheet.includes(','))
    return { verdict: 'none', why: "the fiche's name holds a comma, which an annex's labels cannot", stale: [] };
  const labels = ['type=thumbnail', `datasheet_name=${input.datasheet}`];
  const existing = (await api.annexes(labels)).filter((a) => a.published && a.paths.length > 0);
  const keep = (annex: Annex, why: string): ThumbnailOutcome => ({
    url: `${input.annexRoot}${annex.paths[0]}`,
    fileType: extensionOf(annex.paths[0]),
    verdict: 'kept',
    why,
    stale: existing.filter((a) => a !== annex),
  });
  const content = await wanted(input, existing.length > 0, warn);
  if (!content)
    return existing[0] ? keep(existing[0], "the fiche's thumbnail, as it is") : { verdict: 'none', why: noPictureWhy(input), stale: [] };
  const ext = content[0] === 0x89 ? 'png' : 'jpg';
  const annexPath = `thumbnail/${input.layer}-${createHash('md5').update(content).digest('hex').slice(0, 12)}.${ext}`;
  const same = existing.find((a) => a.paths.includes(`/${annexPath}`));
  if (same) return keep(same, 'the same image');
  const url = `${input.annexRoot}/${annexPath}`;
  if (input.dryRun) return { url, fileType: ext, verdict: 'would create', stale: existing };
  let made: Annex;
  try {
    made = await api.createAnnex(content, annexPath, labels);
  } catch (error) {
    // The picture is the fiche's garnish: the record is still written, with the thumbnail the fiche had.
    if (input.signal?.aborted) throw error;
    const refused = error instanceof ApiError && error.status === 403;
    warn(
      refused
        ? "The fiche's thumbnail was refused (HTTP 403): the account likely lacks the datastore's ANNEX right; ask the community's administrator for it, or set thumbnail: none"
        : `The fiche's thumbnail could not be made (${errorText(error)}); the next run tries again`,
    );
    return existing[0]
      ? keep(existing[0], "the fiche's thumbnail, as it was")
      : { verdict: 'none', why: 'its annex could not be made', stale: [] };
  }
  return { url: `${input.annexRoot}${made.paths[0] ?? `/${annexPath}`}`, fileType: ext, verdict: 'created', stale: existing };
}

/** The image the fiche should show; undefined: keep what it has (or none). */
async function wanted(input: ThumbnailInput, hasOne: boolean, warn: (message: string) => void): Promise<Buffer | undefined> {
  if (input.choice.kind === 'file') return readImage(input.workspace, input.choice.path);
  // auto: the layer's picture, taken again only when the layer's data changed (or none is there).
  if (!input.preview || input.dryRun || (hasOne && !input.built)) return undefined;
  try {
    return await fetchPreview(input.preview, input.signal);
  } catch (error) {
    if (input.signal?.aborted) throw error;
    warn(`The layer's preview could not be read for the fiche's thumbnail (${errorText(error)}); the next run tries again`);
    return undefined;
  }
}

/** Why `auto` gives the fiche no picture this run. */
function noPictureWhy(input: ThumbnailInput): string {
  if (input.dryRun) return "made from the layer's preview once the layer is served";
  return input.preview ? "the layer's preview could not be read" : 'a private layer has no public preview';
}

async function readImage(workspace: string, relative: string): Promise<Buffer> {
  const content = await readNamedFile(workspace, relative, {
    input: 'thumbnail',
    maxBytes: MAX_THUMBNAIL_BYTES,
    missingFix: 'check the path, or use auto or none',
    tooBig: 'a file under 2 MB, which the fiche takes; make it smaller',
  });
  if (!isImage(content)) throw new InputError('thumbnail', `'${relative}' is neither a PNG nor a JPEG image`);
  return content;
}

/** The preview, bounded in time and size, and an image. */
async function fetchPreview(url: string, signal?: AbortSignal): Promise<Buffer> {
  const bounded = deadline(signal, PREVIEW_TIMEOUT_MS, () => new Error('no answer within 30 s'));
  try {
    const res = await fetch(url, { signal: bounded.signal, redirect: 'follow' });
    if (!res.ok || !res.body) throw new Error(`HTTP ${res.status}`);
    const chunks: Buffer[] = [];
    let size = 0;
    const reader = res.body.getReader();
    for (let read = await reader.read(); !read.done; read = await reader.read()) {
      const chunk = read.value as Uint8Array;
      size += chunk.length;
      if (size > MAX_THUMBNAIL_BYTES) {
        await reader.cancel();
        throw new Error('the image is over 2 MB');
      }
      chunks.push(Buffer.from(chunk));
    }
    const content = Buffer.concat(chunks);
    if (!isImage(content)) throw new Error('the answer is not a PNG or JPEG image');
    return content;
  } catch (error) {
    if (signal?.aborted) throw abortError(signal);
    throw error;
  } finally {
    bounded.dispose();
  }
}

function isImage(content: Buffer): boolean {
  const png = content.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  return png || (content[0] === 0xff && content[1] === 0xd8);
}

function extensionOf(annexPath: string): string {
  const ext = path.extname(annexPath).slice(1).toLowerCase();
  return ext === 'jpeg' ? 'jpg' : ext || 'png';
}
