import { close, fstat, open, read } from 'node:fs';

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

/** What tells a changed file: its size and modification time. */
export interface SizeAndTime {
  size: number;
  mtimeMs: number;
}

export function sizeAndTime(fd: number): Promise<SizeAndTime> {
  return new Promise((resolve, reject) =>
    fstat(fd, (error, stats) => (error ? reject(error) : resolve({ size: stats.size, mtimeMs: stats.mtimeMs }))),
  );
}

export function closeFd(fd: number): Promise<void> {
  return new Promise((resolve, reject) => close(fd, (error) => (error ? reject(error) : resolve())));
}
