import { close, fstat, open, read, stat } from 'node:fs';

/**
 * File reads on plain descriptors. fs/promises' FileHandle makes an object, a close promise and
 * more garbage for every file: opening, reading and closing 2,000 small tiles cost about a quarter
 * less CPU with the callbacks (docs/performance.md). The caller closes what it opens, in a `finally`.
 */
export function openForReading(path: string): Promise<number> {
  return new Promise((resolve, reject) => open(path, 'r', (error, fd) => (error ? reject(error) : resolve(fd))));
}

/** Reads up to `length` bytes at `position` into `buffer` at `offset`; resolves with the count. */
export function readAt(fd: number, buffer: Buffer, offset: number, length: number, position: number): Promise<number> {
  return new Promise((resolve, reject) =>
    read(fd, buffer, offset, length, position, (error, bytesRead) => (error ? reject(error) : resolve(bytesRead))),
  );
}

/** Reads until `length` bytes are in or the file ends; resolves with the count. */
export async function readFully(fd: number, buffer: Buffer, offset: number, length: number, position: number): Promise<number> {
  let done = 0;
  while (done < length) {
    const n = await readAt(fd, buffer, offset + done, length - done, position + done);
    if (n === 0) break;
    done += n;
  }
  return done;
}

/** What tells a changed file: its size, its modification time, and its inode (a file replaced by a rename). */
export interface SizeAndTime {
  size: number;
  mtimeMs: number;
  ino: number;
}

const identity = (stats: { size: number; mtimeMs: number; ino: number }): SizeAndTime => ({
  size: stats.size,
  mtimeMs: stats.mtimeMs,
  ino: stats.ino,
});

export function sizeAndTime(fd: number): Promise<SizeAndTime> {
  return new Promise((resolve, reject) => fstat(fd, (error, stats) => (error ? reject(error) : resolve(identity(stats)))));
}

/** The same, of whatever file is at `path` now: a file an editor or git replaced shows another inode. */
export function sizeAndTimeAt(path: string): Promise<SizeAndTime> {
  return new Promise((resolve, reject) => stat(path, (error, stats) => (error ? reject(error) : resolve(identity(stats)))));
}

export function closeFd(fd: number): Promise<void> {
  return new Promise((resolve, reject) => close(fd, (error) => (error ? reject(error) : resolve())));
}
