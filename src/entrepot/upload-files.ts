import path from 'node:path';
import { ApiError, LocalFileError, RequestError } from '../shared/errors.js';
import { inlineMd5, type Md5Hasher } from '../shared/hash.js';
import { waitFor, type Reconciled } from '../http/retry.js';
import { assertUnchanged, multipartFile, type FileSource } from './multipart.js';
import { flattenTree } from './shapes.js';
import type { Transport } from './transport.js';
import type { RemoteTree } from './types.js';

/**
 * The files in an upload: data files, checksum files and the tree that lists them (docs/api.md,
 * "Sending a file", "Lost answers"). A file is stored at most once whatever the network does: after
 * a lost answer the tree says whether it is there whole, a partial copy is deleted before the next
 * attempt, and a file that changed while it was sent is not kept.
 */

/** A local file to send, with where it goes in the upload. */
export interface OutgoingFile {
  localPath: string;
  /** How the file is named in errors (its path in the workspace). */
  label: string;
  remotePath: string;
  size: number;
  mtimeMs?: number;
}

export interface SentFile {
  /** MD5 of the bytes sent; undefined when the file was found stored after a lost answer. */
  md5?: string;
  attempts: number;
}

/**
 * After a data POST whose answer was lost once its whole body had gone, the tree can take a while
 * to show the file (IGN's QGIS plugin waits for it): look for this long before sending it again.
 */
export const TREE_SETTLE_MS = 10_000;

export interface ClientOptions {
  md5?: Md5Hasher;
  /** How long to wait for the tree to show a file whose answer was lost (tests shorten it). */
  treeSettleMs?: number;
}

export class UploadFiles {
  constructor(
    private readonly transport: Transport,
    private readonly options: ClientOptions = {},
  ) {}

  async sendFile(uploadId: string, file: OutgoingFile, onProgress?: (bytes: number) => void): Promise<SentFile> {
    let md5: string | undefined;
    let sent = 0;
    let body: ReturnType<typeof multipartFile> | undefined;
    const source: FileSource = { path: file.localPath, label: file.label, size: file.size, mtimeMs: file.mtimeMs };
    const send = async () => {
      const outcome = await this.transport.retry.write(
        file.remotePath,
        async () => {
          md5 = undefined;
          let hash = this.md5.session();
          await this.transport.request('POST', `${uploadRoute(uploadId)}/data`, {
            query: { path: file.remotePath },
            body: () => {
              // A fresh stream and hash for each attempt, from the file's first byte.
              hash = this.md5.session();
              sent = 0;
              return (body = multipartFile(source, path.basename(file.localPath), (chunk) => {
                sent += chunk.length;
                onProgress?.(sent);
                hash.update(chunk);
              }));
            },
          });
          md5 = hash.digest();
        },
        // The server may have stored it anyway (a 502 after the body went through). It can only
        // hold the whole file if every byte left; then, behind a gateway error or a lost answer,
        // the tree may lag (the S3 copy behind the 502): give it time. A 500 is the server's own.
        (error) => this.reconcileStored(uploadId, file.remotePath, file.size, sent === file.size && mayLag(error), 'data'),
      );
      // The server holds the bytes as they were read: the file must still be that one.
      await assertUnchanged(source, body?.read());
      return outcome;
    };
    const { attempts, reconciled } = await send().catch(async (error) => {
      // A file that changed while it was sent must not stay stored, whatever the server kept of it
      // (nothing can be there when not a byte left).
      if (error instanceof LocalFileError && sent > 0) await this.removeStray(uploadId, file.remotePath, 'data');
      throw error;
    });
    return { md5: reconciled ? undefined : md5, attempts };
  }

  async deleteFile(uploadId: string, remotePath: string): Promise<void> {
    await this.deleteStored(uploadId, remotePath, 'data');
  }

  async tree(uploadId: string): Promise<RemoteTree> {
    return this.transport.readJson(`read the tree of ${uploadId}`, `${uploadRoute(uploadId)}/tree`, flattenTree);
  }

  async sendMd5(uploadId: string, fileName: string, content: string): Promise<void> {
    const bytes = Buffer.from(content, 'utf8');
    await this.transport.retry.write(
      `send ${fileName}`,
      async () =>
        void (await this.transport.request('POST', `${uploadRoute(uploadId)}/md5`, {
          body: () => multipartFile({ content: bytes }, fileName),
        })),
      (error) => this.reconcileStored(uploadId, fileName, bytes.length, mayLag(error), 'md5'),
    );
  }

  async deleteMd5(uploadId: string, fileName: string): Promise<void> {
    await this.deleteStored(uploadId, fileName, 'md5');
  }

  /**
   * Whether `remotePath` is stored whole after a lost answer. A copy of another size is partial:
   * it is deleted so that the next attempt starts clean.
   */
  private async reconcileStored(
    uploadId: string,
    remotePath: string,
    size: number,
    /** The whole body left and the answer was lost or a gateway's: the tree may show the file later. */
    mayLag: boolean,
    kind: 'data' | 'md5' = 'data',
  ): Promise<Reconciled<void>> {
    const read = () => this.tree(uploadId).then((tree) => tree.get(remotePath));
    const held = mayLag
      ? await waitFor(read, (s) => s === size, this.options.treeSettleMs ?? TREE_SETTLE_MS, this.transport.retry.signal)
      : await read();
    if (held === size) return { done: true, value: undefined };
    if (held !== undefined) await this.deleteStored(uploadId, remotePath, kind);
    return { done: false, retry: true };
  }

  /** DELETE a stored file at most once: it is gone when the tree no longer lists it. */
  private async deleteStored(uploadId: string, remotePath: string, kind: 'data' | 'md5'): Promise<void> {
    await this.transport.remove(
      `delete ${remotePath}`,
      `${uploadRoute(uploadId)}/${kind}`,
      async () => !(await this.tree(uploadId)).has(remotePath),
      {
        query: { path: remotePath },
      },
    );
  }

  /**
   * Removes whatever an aborted or changed send left at `remotePath`. A server may store what it got
   * of an abandoned body a moment later (the S3 copy behind a 502): the tree is watched as after a
   * lost answer, for `treeSettleMs`, before deciding that nothing is there.
   */
  private async removeStray(uploadId: string, remotePath: string, kind: 'data' | 'md5'): Promise<void> {
    const read = () => this.tree(uploadId).then((tree) => tree.has(remotePath));
    const held = await waitFor(read, (has) => has, this.options.treeSettleMs ?? TREE_SETTLE_MS, this.transport.retry.signal);
    if (held) await this.deleteStored(uploadId, remotePath, kind);
  }

  private get md5(): Md5Hasher {
    return this.options.md5 ?? inlineMd5;
  }
}

const uploadRoute = (uploadId: string) => `/uploads/${encodeURIComponent(uploadId)}`;

function mayLag(error: unknown): boolean {
  if (error instanceof ApiError) return error.status === 502 || error.status === 504;
  return error instanceof RequestError;
}
