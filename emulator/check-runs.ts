import { randomUUID } from 'node:crypto';
import { RASTER_CHECK, rasterCheck, STANDARD_CHECK, standardCheck } from './checks.js';
import { HttpError } from './http.js';
import type { Context } from './core.js';
import { listItem, pageOf } from './lists.js';
import type { Core } from './core.js';
import type { ExecutionRecord, UploadRecord } from './store.js';

/**
 * Close and reopen, and the checks a close starts: registered after `checkRegistrationDelayMs`
 * (the lists stay empty meanwhile), WAITING then PROGRESS over `checkDurationMs`, SUCCESS or
 * FAILURE from the raster and standard checks; the upload then CLOSED or UNSTABLE.
 */
export class CheckRuns {
  constructor(private readonly core: Core) {}

  close(c: Context): void {
    const upload = this.core.upload(c);
    if (upload.status !== 'OPEN') throw new HttpError(409, [`La livraison est ${upload.status} et ne peut pas être fermée`]);
    upload.status = 'CHECKING';
    this.core.store.touch(upload, 'Fermeture');
    this.core.later(this.core.options.checkRegistrationDelayMs ?? 0, () => this.registerChecks(upload));
    this.core.json(c, 200, this.core.store.view(upload));
  }

  reopen(c: Context): void {
    const upload = this.core.upload(c);
    if (upload.status !== 'CLOSED' && upload.status !== 'UNSTABLE')
      throw new HttpError(409, [`La livraison est ${upload.status} et ne peut pas être rouverte`]);
    upload.status = 'OPEN';
    this.core.store.touch(upload, 'Réouverture');
    this.core.json(c, 200, this.core.store.view(upload));
  }

  registerChecks(upload: UploadRecord): void {
    const duration = this.core.options.checkDurationMs ?? 50;
    const executions = [RASTER_CHECK, STANDARD_CHECK].map((check) => {
      const date = this.core.store.now();
      const execution: ExecutionRecord = {
        _id: randomUUID(),
        check,
        uploadId: upload._id,
        status: 'WAITING',
        creation: date,
        update: date,
        logs: [],
      };
      this.core.store.executions.set(execution._id, execution);
      upload.executions.push(execution._id);
      return execution;
    });
    for (const execution of executions) {
      this.core.later(duration / 2, () => {
        execution.status = 'PROGRESS';
        execution.start = execution.update = this.core.store.now();
        this.core.later(duration / 2, async () => {
          const files = [...upload.files.values()];
          const lines = execution.check._id === RASTER_CHECK._id ? await rasterCheck(files, upload.srs) : await standardCheck(files);
          execution.logs = lines;
          execution.status = lines.some((l) => /ERROR\|\|/.test(l)) ? 'FAILURE' : 'SUCCESS';
          execution.finish = execution.update = this.core.store.now();
          this.settle(upload);
        });
      });
    }
  }

  settle(upload: UploadRecord): void {
    const executions = upload.executions.map((id) => this.core.store.executions.get(id) as ExecutionRecord);
    if (upload.status !== 'CHECKING' || executions.some((e) => e.status === 'WAITING' || e.status === 'PROGRESS')) return;
    upload.status = executions.some((e) => e.status === 'FAILURE') ? 'UNSTABLE' : 'CLOSED';
    this.core.store.touch(upload, upload.status === 'CLOSED' ? 'Vérifications réussies' : 'Vérifications en échec');
  }

  uploadChecks(c: Context): void {
    const upload = this.core.upload(c);
    const lists: Record<string, unknown[]> = { asked: [], in_progress: [], passed: [], failed: [] };
    const key = { WAITING: 'asked', PROGRESS: 'in_progress', SUCCESS: 'passed', FAILURE: 'failed' } as const;
    for (const id of upload.executions) {
      const e = this.core.store.executions.get(id) as ExecutionRecord;
      lists[key[e.status]].push(listItem(this.executionView(e), 'checkExecutions', c.query, this.core.listing.mode));
    }
    this.core.json(c, 200, lists);
  }

  executionView(e: ExecutionRecord): Record<string, unknown> {
    const upload = this.core.store.uploads.get(e.uploadId) as UploadRecord;
    return {
      _id: e._id,
      status: e.status,
      check: e.check,
      upload: { _id: upload._id, name: upload.name, type: upload.type },
      creation: e.creation,
      update: e.update,
      start: e.start,
      finish: e.finish,
    };
  }

  logs(c: Context): void {
    const { status, items, contentRange } = pageOf(this.execution(c).logs, c.query, this.core.listing, 50);
    if (contentRange) c.res.setHeader('content-range', contentRange);
    this.core.json(c, status, items);
  }

  execution(c: Context): ExecutionRecord {
    const e = this.core.store.executions.get(c.params[1]);
    if (!e) throw new HttpError(404, [`L'exécution ${c.params[1]} n'existe pas`]);
    return e;
  }
}
