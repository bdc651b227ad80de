import { closeFd, openForReading, readFully, sizeAndTime } from '../../shared/fd.js';

/** Random access to the bytes of a file or a buffer, so readers touch headers only. */
export interface ByteSource {
  readonly size: number;
  /** Reads up to `length` bytes at `position`; fewer only at the end of the source. */
  read(position: number, length: number): Promise<Buffer>;
  /** The same bytes without waiting, when they are already in memory; else undefined. */
  peek?(position: number, length: number): Buffer | undefined;
}

export function bufferSource(buffer: Buffer): ByteSource {
  return {
    size: buffer.length,
    read: (position, length) => Promise.resolve(buffer.subarray(position, Math.min(buffer.length, position + length))),
    peek: (position, length) => buffer.subarray(position, Math.min(buffer.length, position + length)),
  };
}

/**
 * Header reads cluster: the IFD and its values at the start of a file (or all together at its
 * end), a JP2's boxes one after the other. Each read past the window loads a new 16 KiB window
 * there, so preflighting thousands of tiles costs a read or two each, not one per tag.
 */
const WINDOW_BYTES = 16 * 1024;

/** Opens a file for header reads; the caller closes it with `close()`. */
export async function openFileSource(path: string, knownSize?: number): Promise<ByteSource & { close(): Promise<void> }> {
  const fd = await openForReading(path);
  let size: number;
  try {
    size = knownSize ?? (await sizeAndTime(fd)).size;
  } catch (error) {
    await closeFd(fd);
    throw error;
  }
  let window = Buffer.alloc(0);
  let windowAt = 0;
  const peek = (position: number, length: number): Buffer | undefined => {
    const end = Math.min(size, position + length);
    if (position < windowAt || end > windowAt + window.length) return undefined;
    return window.subarray(position - windowAt, Math.max(position - windowAt, end - windowAt));
  };
  return {
    size,
    peek,
    async read(position, length) {
      const inWindow = peek(position, length);
      if (inWindow) return inWindow;
      const want = Math.max(0, Math.min(Math.max(length, WINDOW_BYTES), size - position));
      const buffer = Buffer.allocUnsafe(want);
      window = buffer.subarray(0, await readFully(fd, buffer, 0, want, position));
      windowAt = position;
      return peek(position, length) ?? window;
    },
    close: () => closeFd(fd),
  };
}
