import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';

/** Incremental MD5 of one file. */
export interface Md5Session {
  update(chunk: Buffer): void;
  digest(): string;
}

export interface Md5Hasher {
  session(): Md5Session;
}

/**
 * MD5 on the sending thread, fed as the bytes stream out, so each file is read once. It runs near
 * 540 MB/s per core; a worker thread was tried and was slower on a 2-core machine (docs/benchmarks.md).
 */
export const inlineMd5: Md5Hasher = {
  session() {
    const hash = createHash('md5');
    return { update: (chunk) => void hash.update(chunk), digest: () => hash.digest('hex') };
  },
};

/** For runs without checksums: nothing is computed. */
export const noMd5: Md5Hasher = {
  session: () => ({ update: () => undefined, digest: () => '' }),
};

/** Read size for a file: 1 MiB for big ones (fewer syscalls), no bigger than the file itself. */
export function readChunkSize(size: number): number {
  return Math.max(64 * 1024, Math.min(1024 * 1024, size + 1));
}

/** MD5 of a file read from disk, streamed: memory stays flat whatever its size. */
export async function md5File(path: string, size: number): Promise<string> {
  const session = inlineMd5.session();
  for await (const chunk of createReadStream(path, { highWaterMark: readChunkSize(size) })) session.update(chunk as Buffer);
  return session.digest();
}
