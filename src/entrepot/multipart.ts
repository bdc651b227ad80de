import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readChunkSize } from '../hash.js';
import type { RequestBody } from '../http.js';

/**
 * A multipart/form-data body with one part named `file` (entrepot-api.md §2.5), streamed from
 * disk: preamble, the file's bytes, epilogue. The length is known up front, so the request
 * carries Content-Length and no chunked encoding. `onChunk` sees every byte as it leaves.
 */
export function multipartFile(
  source: { path: string; size: number } | { content: Buffer },
  fileName: string,
  onChunk?: (chunk: Buffer) => void,
): RequestBody {
  const boundary = `----gpf-publish-${BOUNDARY_PREFIX}${(boundaryCount++).toString(36)}`;
  const head = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${escapeQuoted(fileName)}"\r\n` +
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
    let held: Buffer = head;
    const stream = createReadStream(source.path, { highWaterMark: readChunkSize(source.size), end: Math.max(0, source.size - 1) });
    for await (const chunk of source.size > 0 ? stream : []) {
      onChunk?.(chunk as Buffer);
      if (held === head) held = Buffer.concat([head, chunk as Buffer]);
      else {
        yield held;
        held = chunk as Buffer;
      }
    }
    stream.destroy();
    yield Buffer.concat([held, tail]);
  }
  return {
    stream: parts(),
    length: head.length + size + tail.length,
    contentType: `multipart/form-data; boundary=${boundary}`,
  };
}

/** One random prefix per process and a counter: unique boundaries without entropy per file. */
const BOUNDARY_PREFIX = randomBytes(12).toString('hex');
let boundaryCount = 0;

/** WHATWG form encoding of a quoted header parameter: `"`, CR and LF percent-encoded. */
function escapeQuoted(value: string): string {
  return value.replace(/"/g, '%22').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}
