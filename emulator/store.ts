import { randomUUID } from 'node:crypto';
import { copyFile, mkdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { StoredFile } from './checks.js';

export type UploadStatus = 'OPEN' | 'CLOSED' | 'CHECKING' | 'UNSTABLE' | 'DELETED';
export type ExecutionStatus = 'WAITING' | 'PROGRESS' | 'SUCCESS' | 'FAILURE';

export interface UploadRecord {
  _id: string;
  name: string;
  description: string;
  type: string;
  srs: string;
  status: UploadStatus;
  tags: Record<string, string>;
  creation: string;
  update: string;
  lastEvent: { title: string; date: string };
  files: Map<string, StoredFile>;
  executions: string[];
}

export interface ExecutionRecord {
  _id: string;
  check: { _id: string; name: string };
  uploadId: string;
  status: ExecutionStatus;
  creation: string;
  update: string;
  start?: string;
  finish?: string;
  logs: string[];
}

/** The emulator's state: uploads and their files on disk, check executions. */
export class Store {
  readonly uploads = new Map<string, UploadRecord>();
  readonly executions = new Map<string, ExecutionRecord>();
  private clock = 0;

  constructor(readonly dataDir: string) {}

  /** Strictly increasing timestamps, so "most recent" is well defined within a millisecond. */
  now(): string {
    this.clock = Math.max(this.clock + 1, Date.now());
    return new Date(this.clock).toISOString();
  }

  createUpload(fields: { name: string; description: string; type: string; srs: string }): UploadRecord {
    const date = this.now();
    const upload: UploadRecord = {
      _id: randomUUID(),
      ...fields,
      status: 'OPEN',
      tags: {},
      creation: date,
      update: date,
      lastEvent: { title: 'Création', date },
      files: new Map(),
      executions: [],
    };
    this.uploads.set(upload._id, upload);
    return upload;
  }

  touch(upload: UploadRecord, title: string): void {
    const date = this.now();
    upload.update = date;
    upload.lastEvent = { title, date };
  }

  uploadDir(upload: UploadRecord): string {
    return path.join(this.dataDir, 'uploads', upload._id);
  }

  async prepareDir(upload: UploadRecord, remotePath: string): Promise<string> {
    const disk = path.join(this.uploadDir(upload), ...remotePath.split('/'));
    await mkdir(path.dirname(disk), { recursive: true });
    return disk;
  }

  /** Puts a local file into an upload as if a client had sent it (for test setups). */
  async addFile(upload: UploadRecord, remotePath: string, sourcePath: string): Promise<void> {
    const disk = await this.prepareDir(upload, remotePath);
    await copyFile(sourcePath, disk);
    upload.files.set(remotePath, { path: remotePath, diskPath: disk, size: (await stat(disk)).size });
  }

  async removeFile(upload: UploadRecord, remotePath: string): Promise<boolean> {
    const file = upload.files.get(remotePath);
    if (!file) return false;
    upload.files.delete(remotePath);
    await rm(file.diskPath, { force: true });
    return true;
  }

  size(upload: UploadRecord): number {
    let total = 0;
    for (const f of upload.files.values()) total += f.size;
    return total;
  }

  /** Bytes held by uploads that count against the quota (all but DELETED). */
  usedBytes(): number {
    let total = 0;
    for (const u of this.uploads.values()) if (u.status !== 'DELETED') total += this.size(u);
    return total;
  }

  /** The nested tree the API returns: directories with a total size and children. */
  tree(upload: UploadRecord): unknown[] {
    interface Node {
      type: 'DIRECTORY' | 'FILE';
      name: string;
      size: number;
      children?: Node[];
    }
    const root: Node[] = [];
    const now = Date.now();
    const visible = [...upload.files.values()].filter((f) => (f.visibleAt ?? 0) <= now);
    for (const file of visible.sort((a, b) => (a.path < b.path ? -1 : 1))) {
      const parts = file.path.split('/');
      let level = root;
      for (const dir of parts.slice(0, -1)) {
        let node = level.find((n) => n.type === 'DIRECTORY' && n.name === dir);
        if (!node) level.push((node = { type: 'DIRECTORY', name: dir, size: 0, children: [] }));
        node.size += file.size;
        level = node.children as Node[];
      }
      level.push({ type: 'FILE', name: parts[parts.length - 1], size: file.size });
    }
    return root;
  }

  /** The upload as the API shows it (UploadPrivateDetailResponseDto's fields). */
  view(upload: UploadRecord): Record<string, unknown> {
    return {
      _id: upload._id,
      name: upload.name,
      description: upload.description,
      type: upload.type,
      srs: upload.srs,
      status: upload.status,
      open: false,
      visibility: 'PRIVATE',
      size: this.size(upload),
      contact: 'emulator@example.org',
      last_event: { title: upload.lastEvent.title, date: upload.lastEvent.date, initiator: { _id: 'emulator-user' } },
      tags: upload.tags,
      type_infos: {},
      creation: upload.creation,
      update: upload.update,
    };
  }
}
