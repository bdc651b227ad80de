import { open, type FileHandle } from 'node:fs/promises';

/** Random access to the bytes of a file or a buffer, so readers touch headers only. */
export interface ByteSource {
  readonly size: number;
  /** Reads up to `length` bytes at `position`; fewer only at the end of the source. */
  read(position: number, length: number): Promise<Buffer>;
}

export function bufferSource(buffer: Buffer): ByteSource {
  return {
    size: buffer.length,
    read: async (position, length) => buffer.subarray(position, Math.min(buffer.length, position + length)),
  };
}

/**
 * Header reads cluster at the start of a file: one 64 KiB read-ahead serves most of them, so
 * preflighting thousands of tiles costs a read or two each, not one per tag.
 */
const READ_AHEAD_BYTES = 64 * 1024;

/** Opens a file for header reads; the caller closes it with `close()`. */
export async function openFileSource(path: string, knownSize?: number): Promise<ByteSource & { close(): Promise<void> }> {
  const handle: FileHandle = await open(path, 'r');
  const size = knownSize ?? (await handle.stat()).size;
  const readRaw = async (position: number, length: number): Promise<Buffer> => {
    const want = Math.max(0, Math.min(length, size - position));
    const buffer = Buffer.allocUnsafe(want);
    let done = 0;
    while (done < want) {
      const { bytesRead } = await handle.read(buffer, done, want - done, position + done);
      if (bytesRead === 0) break;
      done += bytesRead;
    }
    return buffer.subarray(0, done);
  };
  let ahead: Buffer | undefined;
  return {
    size,
    async read(position, length) {
      ahead ??= await readRaw(0, READ_AHEAD_BYTES);
      if (position + length <= ahead.length || ahead.length >= size)
        return ahead.subarray(position, Math.min(ahead.length, position + length));
      return readRaw(position, length);
    },
    close: () => handle.close(),
  };
}
