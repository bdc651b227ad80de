import { randomBytes } from 'node:crypto';
import { errorText, LocalFileError } from '../shared/errors.js';
import { closeFd, openForReading, readAt, readFully, sizeAndTime, sizeAndTimeAt, type SizeAndTime } from '../shared/fd.js';
import { readChunkSize } from '../shared/hash.js';
import type { RequestBody } from '../http/types.js';

/** A file on disk to stream, as it was when it was matched. */
export interface FileSource {
  path: string;
  /** How the file is named in errors (its path in the workspace). */
  label: string;
  size: number;
  /** Modification time when matched; a file touched since then is not sent. */
  mtimeMs?: number;
}

/**
 * A multipart/form-data body with one part named `file` (docs/api.md, "Sending a file"), streamed
 * from disk: preamble, the file's bytes, epilogue. The length is known up front, so the request
 * carries Content-Length and no chunked encoding. `onChunk` sees every byte as it leaves.
 *
 * A file that changes (size or modification time against those it was matched with, and for a big
 * file before and after it is read; or fewer bytes than its size) throws a LocalFileError before
 * its last bytes leave: without its closing boundary the server cannot take the body as a whole
 * file, so a changed file is never stored. A small file is read whole before anything leaves.
 * The last bytes can still be read before a change that comes while they travel or while the
 * answer is awaited: `read()` gives the file as its bytes were read, for `assertUnchanged` to
 * compare once the answer is in.
 */
export function multipartFile(
  source: FileSource | { content: Buffer },
  fileName: string,
  onChunk?: (chunk: Buffer) => void,
  /** Text parts before the file (a metadata record's `type`, an annex's `paths` and `labels`), in order. */
  fields: ReadonlyArray<readonly [string, string]> = [],
): RequestBody & { read(): SizeAndTime | undefined } {
  let read: SizeAndTime | undefined;
  const boundary = `----gpf-publish-${BOUNDARY_PREFIX}${(boundaryCount++).toString(36)}`;
  const textParts = fields
    .map(([name, value]) => `--${boundary}\r\nContent-Disposition: form-data; name="${escapeQuoted(name)}"\r\n\r\n${value}\r\n`)
    .join('');
  const head = Buffer.from(
    `${textParts}--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${escapeQuoted(fileName)}"\r\n` +
      'Content-Type: application/octet-stream\r\n\r\n',
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  const size = 'content' in source ? source.content.length : source.size;
  // The head rides with the first bytes and the tail with the last: fewer, fuller TCP writes,
  // which for small files halves the server's work per request.
  async function* parts(): AsyncGenerator<Buffer> {
    if ('content' in source) {
      onChunk?.(source.content);
      yield Buffer.concat([head, source.content, tail]);
      return;
    }
    let fd: number | undefined;
    try {
      fd = await openForReading(source.path);
      const frame = { fd, source, head, tail, onChunk, onRead: (stat: SizeAndTime) => (read = stat) };
      yield* source.size < readChunkSize(source.size) ? smallFile(frame) : bigFile(frame);
    } catch (error) {
      if (error instanceof LocalFileError) throw error;
      throw new LocalFileError(source.label, unreadable(error));
    } finally {
      if (fd !== undefined) await closeFd(fd);
    }
  }
  return {
    stream: parts(),
    length: head.length + size + tail.length,
    contentType: `multipart/form-data; boundary=${boundary}`,
    read: () => read,
  };
}

/** An open file between its multipart head and tail; `onRead` gets the file as it was read. */
interface Frame {
  fd: number;
  source: FileSource;
  head: Buffer;
  tail: Buffer;
  onChunk?: (chunk: Buffer) => void;
  onRead: (stat: SizeAndTime) => void;
}

/**
 * A small file: read whole into the body's one buffer, between its head and tail, then one stat.
 * Nothing has left yet when the stat is compared, so a change is refused unsent.
 */
async function* smallFile({ fd, source, head, tail, onChunk, onRead }: Frame): AsyncGenerator<Buffer> {
  const body = Buffer.allocUnsafe(head.length + source.size + tail.length);
  head.copy(body, 0);
  const got = await readFully(fd, body, head.length, source.size, 0);
  const now = await sizeAndTime(fd);
  onRead(now);
  if (isChanged(source, now))
    throw new LocalFileError(source.label, `changed after it was matched (${changes(source, now)}); it was not sent`);
  if (got < source.size)
    throw new LocalFileError(source.label, `shrank while it was read (${got} of ${source.size} bytes); it was not sent`);
  tail.copy(body, head.length + source.size);
  onChunk?.(body.subarray(head.length, head.length + source.size));
  yield body;
}

/**
 * A big file, read a chunk at a time as the socket takes them, with a stat before and after: a
 * change refuses the tail, so the server never gets a whole body of a changed file.
 */
async function* bigFile({ fd, source, head, tail, onChunk, onRead }: Frame): AsyncGenerator<Buffer> {
  const chunkSize = readChunkSize(source.size);
  const before = await sizeAndTime(fd);
  onRead(before);
  if (isChanged(source, before))
    throw new LocalFileError(source.label, `changed after it was matched (${changes(source, before)}); it was not sent`);
  let held: Buffer = head;
  for (let position = 0; position < source.size;) {
    const want = Math.min(chunkSize, source.size - position);
    const chunk = Buffer.allocUnsafe(want);
    const bytesRead = await readAt(fd, chunk, 0, want, position);
    if (bytesRead === 0)
      throw new LocalFileError(source.label, `shrank while it was sent (${position} of ${source.size} bytes read); it was not stored`);
    const bytes = bytesRead < want ? chunk.subarray(0, bytesRead) : chunk;
    position += bytesRead;
    onChunk?.(bytes);
    if (held === head) held = Buffer.concat([head, bytes]);
    else {
      yield held;
      held = bytes;
    }
  }
  const after = await sizeAndTime(fd);
  if (isChanged(before, after))
    throw new LocalFileError(source.label, `changed while it was sent (${changes(before, after)}); it was not stored`);
  yield Buffer.concat([held, tail]);
}

/**
 * Throws when the file at `source.path` is no longer the one whose bytes were sent (`read`): one
 * stat after the answer, by path, for small files as for big ones. The server holds bytes of a file
 * that is not the final one: the caller removes that copy.
 */
export async function assertUnchanged(source: FileSource, read: SizeAndTime | undefined): Promise<void> {
  if (!read) return;
  const now = await sizeAndTimeAt(source.path).catch((error: unknown) => {
    throw new LocalFileError(source.label, `${unreadable(error)} while it was sent; the copy sent is not kept`);
  });
  if (isChanged(read, now))
    throw new LocalFileError(source.label, `changed while it was sent (${changes(read, now)}); the copy sent is not kept`);
}

/** Why a local file could not be read, in words. */
function unreadable(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'no longer exists (deleted or moved after it was matched)';
  if (code === 'EACCES' || code === 'EPERM') return 'cannot be read: permission denied';
  if (code === 'EISDIR') return 'is now a directory';
  return `could not be read: ${code ?? errorText(error)}`;
}

function isChanged(was: { size: number; mtimeMs?: number; ino?: number }, now: SizeAndTime): boolean {
  return (
    now.size !== was.size || (was.mtimeMs !== undefined && now.mtimeMs !== was.mtimeMs) || (was.ino !== undefined && now.ino !== was.ino)
  );
}

function changes(was: { size: number; mtimeMs?: number; ino?: number }, now: SizeAndTime): string {
  if (was.size !== now.size) return `${was.size} bytes, now ${now.size}`;
  if (was.ino !== undefined && was.ino !== now.ino) return 'replaced by another file';
  return `modified at ${new Date(now.mtimeMs).toISOString()}`;
}

/** One random prefix per process and a counter: unique boundaries without entropy per file. */
const BOUNDARY_PREFIX = randomBytes(12).toString('hex');
let boundaryCount = 0;

/** WHATWG form encoding of a quoted header parameter: `"`, CR and LF percent-encoded. */
function escapeQuoted(value: string): string {
  return value.replace(/"/g, '%22').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}
