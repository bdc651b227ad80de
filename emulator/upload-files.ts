import busboy from 'busboy';
import { randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { HttpError } from './http.js';
import type { Context } from './core.js';
import type { Core } from './core.js';
import type { UploadRecord } from './store.js';

/**
 * The files of an upload: data and MD5 files streamed to disk with busboy (a part named `file`,
 * `path` in the query for data), deleted, downloaded. A stored file shows in the tree at once, or
 * later under a lost answer (`treeLagMs`); a cut or abandoned body may leave a partial file.
 */
/** A body received into a temporary file, to be moved to its path in the upload. */
type Incoming = { remotePath: string; tmp: string; size: number };

export class UploadFiles {
  constructor(private readonly core: Core) {}

  async receiveFile(c: Context, kind: 'data' | 'md5'): Promise<void> {
    const upload = this.core.upload(c);
    if (upload.status !== 'OPEN') throw new HttpError(409, [`La livraison est ${upload.status} : elle n'accepte plus de fichiers`]);
    const query = c.query.get('path');
    if (kind === 'data') {
      if (!query) throw new HttpError(400, ['Le paramètre path est obligatoire']);
      validatePath(query);
      if (this.core.options.refuseOverwrite && upload.files.has(query)) throw new HttpError(409, [`Le fichier ${query} existe déjà`]);
    }
    const contentType = c.req.headers['content-type'] ?? '';
    if (!contentType.startsWith('multipart/form-data')) throw new HttpError(400, ['Le contenu doit être multipart/form-data']);

    const partial = c.fault !== undefined && 'resetMidBody' in c.fault;
    const stored = await this.readPart(c, kind, query, partial);
    if (partial) {
      if (stored && this.core.options.keepPartialFiles !== false) await this.commitFile(upload, stored);
      c.req.socket.destroy();
      return;
    }
    if (c.req.socket.destroyed) {
      if (stored && this.core.options.keepPartialFiles === true) {
        if (this.core.options.strayDelayMs) await new Promise((r) => setTimeout(r, this.core.options.strayDelayMs));
        if (!this.core.stopped) await this.commitFile(upload, stored);
      } else if (stored) await rm(stored.tmp, { force: true });
      return;
    }
    if (!stored) throw new HttpError(400, ['Aucun fichier dans la requête (partie file)']);
    // A file stored under a lost answer shows in the tree only after `treeLagMs` (S3 behind a 502).
    await this.commitFile(upload, stored, c.fault && 'storeThen' in c.fault ? this.core.options.treeLagMs : undefined);
    this.core.json(c, 200, { path: stored.remotePath, size: stored.size });
  }

  /**
   * The request's one part named `file`, streamed to a temporary file. Under a `resetMidBody` fault
   * half the body is kept as a truncated file; a body the client abandons is kept only by a harsh
   * server (`keepPartialFiles: true`). Undefined when the client went away with nothing kept.
   */
  private readPart(c: Context, kind: 'data' | 'md5', query: string | null, partial: boolean): Promise<Incoming | undefined> {
    const cutAt = partial ? Math.floor(Number(c.req.headers['content-length'] ?? 0) / 2) : Infinity;
    return new Promise<Incoming | undefined>((resolve, reject) => {
      const parser = busboy({ headers: c.req.headers, limits: { files: 1, fields: 10 }, defParamCharset: 'utf8' });
      let current: (Incoming & { out: ReturnType<typeof createWriteStream>; stream: NodeJS.ReadableStream }) | undefined;
      let writing: Promise<void> | undefined;
      let received = 0;
      let cut = false;
      parser.on('file', (field, stream, info) => {
        if (field !== 'file') {
          stream.resume();
          return reject(new HttpError(400, [`La partie doit s'appeler file, pas ${field}`]));
        }
        const remotePath = kind === 'data' ? (query as string) : path.posix.basename(info.filename || 'checksums.md5');
        if (kind === 'md5') validatePath(remotePath);
        const tmp = path.join(this.core.store.dataDir, `.incoming-${randomUUID()}`);
        const out = createWriteStream(tmp);
        const file = (current = { remotePath, tmp, size: 0, out, stream });
        stream.on('data', (chunk: Buffer) => (file.size += chunk.length));
        writing = new Promise((done, fail) => {
          out.on('finish', done);
          out.on('error', fail);
          stream.on('error', (error) => (cut ? undefined : fail(error)));
        });
        stream.pipe(out);
      });
      parser.on('close', () => (writing ?? Promise.resolve()).then(() => resolve(current), reject));
      parser.on('error', (error) => (cut ? undefined : reject(error)));
      c.req.on('data', (chunk: Buffer) => {
        received += chunk.length;
        if (received < cutAt || cut) return;
        // Keep what arrived as a truncated file; the connection is dropped once it is stored.
        cut = true;
        c.req.unpipe(parser);
        c.req.pause();
        if (!current) return resolve(undefined);
        const file = current;
        file.stream.unpipe(file.out);
        file.out.end(() => resolve(file));
      });
      c.req.on('aborted', () => {
        if (cut) return;
        if (this.core.options.keepPartialFiles !== true || !current) return parser.destroy(new Error('client aborted'));
        // A harsh server keeps what arrived of a body the client abandoned.
        cut = true;
        const file = current;
        c.req.unpipe(parser);
        file.stream.unpipe(file.out);
        file.out.end(() => resolve(file));
      });
      c.req.pipe(parser);
    }).catch(async (error) => {
      if (error instanceof HttpError) throw error;
      return undefined; // the client went away: nothing to answer
    });
  }

  async commitFile(upload: UploadRecord, stored: { remotePath: string; tmp: string; size: number }, lagMs?: number): Promise<void> {
    await this.core.store.removeFile(upload, stored.remotePath);
    const disk = await this.core.store.prepareDir(upload, stored.remotePath);
    await rename(stored.tmp, disk);
    upload.files.set(stored.remotePath, {
      path: stored.remotePath,
      diskPath: disk,
      size: stored.size,
      visibleAt: lagMs ? Date.now() + lagMs : undefined,
    });
    this.core.store.touch(upload, 'Ajout de fichier');
  }

  async deleteFile(c: Context, kind: 'data' | 'md5'): Promise<void> {
    const upload = this.core.upload(c);
    if (upload.status !== 'OPEN') throw new HttpError(409, [`La livraison est ${upload.status}`]);
    const remotePath = c.query.get('path') ?? '';
    if (kind === 'md5' && remotePath.includes('/')) throw new HttpError(400, ['Les fichiers md5 sont à la racine']);
    if (!(await this.core.store.removeFile(upload, remotePath))) throw new HttpError(404, [`Le fichier ${remotePath} n'existe pas`]);
    this.core.json(c, 204, undefined);
  }

  downloadFile(c: Context): void {
    const file = this.core.upload(c).files.get(c.query.get('path') ?? '');
    if (!file) throw new HttpError(404, [`Le fichier ${c.query.get('path')} n'existe pas`]);
    c.res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': file.size });
    createReadStream(file.diskPath).pipe(c.res);
  }
}

function validatePath(remotePath: string): void {
  const parts = remotePath.split('/');
  if (remotePath.startsWith('/') || parts.some((p) => p === '' || p === '.' || p === '..'))
    throw new HttpError(400, [`Le chemin ${remotePath} n'est pas valide`]);
}
