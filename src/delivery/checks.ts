import { formatDuration } from '../shared/format.js';
import { ChecksFailedError, errorText, TimeoutError, UploadStateError } from '../shared/errors.js';
import { errorLinesOf, failed, FINAL_UPLOAD_STATUSES, RUNNING_CHECK_STATUSES, splitLogLine } from '../entrepot/status.js';
import type { CheckExecution, Upload, UploadChecks, UploadStatus } from '../entrepot/types.js';
import type { UploadsApi } from '../entrepot/uploads.js';
import { poll } from '../http/poll.js';
import type { CheckReport, PublishEvent, PublishOptions, PublishResult } from './types.js';
import { deadline } from '../shared/abort.js';

/**
 * After the close: the wait for the platform's checks, within `checks-timeout`, and what each
 * check says (its duration, and the ERROR lines of a failed one). Right after the close the check
 * lists may still be empty while the upload is CHECKING (docs/api.md, "Checks").
 */

type Emit = (event: PublishEvent) => void;
type CheckOptions = Pick<PublishOptions, 'checksTimeoutMs' | 'pollIntervalMs' | 'signal'>;

export class Checks {
  constructor(
    private readonly api: UploadsApi,
    private readonly options: CheckOptions,
    private readonly emit: Emit,
  ) {}

  /**
   * Polls until the upload is CLOSED or UNSTABLE and no check is waiting or running, within
   * `checks-timeout`: a deadline that also cuts a request in flight.
   */
  async awaitChecks(upload: Upload, known: UploadStatus): Promise<{ status: UploadStatus; checks: CheckExecution[] }> {
    const { options } = this;
    let last = { status: known, checks: [] as CheckExecution[], state: '' };
    let polls = 0;
    const timeout = () => {
      const waiting = last.checks.filter((c) => RUNNING_CHECK_STATUSES.has(c.status)).map((c) => `${c.name} ${c.status}`);
      return new TimeoutError(
        `The checks did not finish within ${formatDuration(options.checksTimeoutMs)} (input 'checks-timeout'); last status ${last.status}` +
          (waiting.length ? ` with ${waiting.join(', ')}` : '') +
          `. The upload ${upload.id} was left as it is: re-run to keep waiting`,
      );
    };
    const pollOptions = {
      firstPauseMs: options.pollIntervalMs,
      withinMs: options.checksTimeoutMs,
      onTimeout: timeout,
      signal: options.signal,
      onForgiven: (error: unknown) =>
        this.emit({ type: 'warning', message: `Reading the checks failed (${errorText(error)}); trying again` }),
    };
    return poll(pollOptions, async (signal) => {
      const api = this.api.within(signal);
      const { status } = await api.getUpload(upload.id);
      const lists = await api.checks(upload.id);
      const checks = flatten(lists);
      const state = `${status}|${checks.map((c) => `${c.id}:${c.status}`).join(',')}`;
      if (++polls === 1 || state !== last.state) {
        this.emit({ type: 'status', status });
        this.emit({ type: 'checks', checks, polls });
      }
      last = { status, checks, state };
      // Right after close the lists may still be empty while the status is CHECKING.
      if (FINAL_UPLOAD_STATUSES.has(status) && lists.asked.length === 0 && lists.inProgress.length === 0) {
        this.emit({ type: 'info', message: `Checks finished after ${polls} poll${polls === 1 ? '' : 's'} (2 requests each)` });
        return { state, value: { status, checks } };
      }
      if (status === 'DELETED') throw new UploadStateError(`Upload ${upload.id} was deleted while its checks ran`);
      if (status === 'OPEN' && polls > 1) throw new UploadStateError(`Upload ${upload.id} was reopened while its checks ran`);
      return { state };
    });
  }

  async describeChecks(checks: CheckExecution[]): Promise<CheckReport[]> {
    return Promise.all(
      checks.map(async (check) => {
        let detail: { start?: string; finish?: string } = {};
        try {
          detail = await this.api.execution(check.id);
        } catch (error) {
          this.emit({ type: 'warning', message: `Could not read check execution ${check.id}: ${errorText(error)}` });
        }
        let errorLines: string[] = [];
        if (check.status === 'FAILURE') {
          try {
            errorLines = errorLinesOf(await this.api.logs(check.id));
          } catch (error) {
            errorLines = [`(the logs could not be read: ${errorText(error)})`];
          }
        }
        return { ...check, start: detail.start, finish: detail.finish, errorLines };
      }),
    );
  }
}

function flatten(lists: UploadChecks): CheckExecution[] {
  return [...lists.passed, ...lists.failed, ...lists.inProgress, ...lists.asked];
}

/** The error to raise for a result whose checks failed, or undefined when all passed. */
export function checksFailure(result: PublishResult): ChecksFailedError | undefined {
  const failures = failed(result.checks);
  if (result.status !== 'UNSTABLE' && failures.length === 0) return undefined;
  const first = failures.flatMap((c) => c.errorLines)[0];
  return new ChecksFailedError(failures.length ? failures.map((c) => c.name) : ['(unknown)'], first && splitLogLine(first).message);
}

/**
 * The `status` output must say the upload's real state: after a failure it is read once more,
 * within `withinMs`; when that read does not come back in time, the status last seen stands.
 */
export async function readFinalStatus(api: UploadsApi, uploadId: string, withinMs: number, emit: Emit): Promise<void> {
  const limit = deadline(undefined, withinMs, () => new TimeoutError('reading the final status took too long'));
  try {
    const { status } = await api.within(limit.signal).getUpload(uploadId);
    emit({ type: 'status', status });
  } catch {
    // The failure itself is what the step reports.
  } finally {
    limit.dispose();
  }
}
