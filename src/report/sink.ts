import { errorText } from '../shared/errors.js';
import * as core from '@actions/core';
import { esc } from './summary.js';

/** Too short a value would blank out ordinary words; the runner still masks it in the log. */
const MIN_SCRUBBED_LENGTH = 4;

type AnnotationProperties = { title?: string; file?: string };

/**
 * Everything the run writes to GitHub goes through here: log lines, annotations, outputs, the job
 * summary, the failure, and the pull-request comment's body. Text from outside (a token endpoint
 * echoing the form it got, a file name, a server message) may hold a secret in any shape: the
 * runner masks the log, but the summary, the annotations, the outputs and the comment are ours, so
 * every one of them is redacted here, at this one boundary.
 */
export class GitHubSink {
  /** Every shape of every secret (raw, form-encoded…) and the tokens obtained. */
  private readonly secrets: string[];

  constructor(secrets: string[] = []) {
    this.secrets = [...secrets];
  }

  /** A value that must never show: the runner masks it in the log, and the rest is scrubbed here. */
  secret(value: string): void {
    core.setSecret(value);
    this.secrets.push(value);
  }

  redact(text: string): string {
    let out = text;
    for (const secret of this.secrets)
      if (secret.length >= MIN_SCRUBBED_LENGTH) out = out.split(secret).join('***').split(esc(secret)).join('***');
    return out;
  }

  /**
   * A log line. Text from outside may hold a newline, and a line that starts with `::` is a
   * workflow command to the runner: every line is made one line.
   */
  log(text: string): void {
    core.info(this.redact(text).replace(/[\r\n]+/g, ' ⏎ '));
  }

  warning(message: string, properties?: AnnotationProperties): void {
    core.warning(this.redact(message), properties);
  }

  notice(message: string, properties?: AnnotationProperties): void {
    core.notice(this.redact(message), properties);
  }

  error(message: string, properties?: AnnotationProperties): void {
    core.error(this.redact(message), properties);
  }

  output(name: string, value: string | number): void {
    core.setOutput(name, typeof value === 'string' ? this.redact(value) : value);
  }

  startGroup(title: string): void {
    core.startGroup(this.redact(title));
  }

  endGroup(): void {
    core.endGroup();
  }

  async summary(html: string): Promise<void> {
    try {
      await core.summary.addRaw(this.redact(html), true).write();
    } catch (error) {
      core.warning(`Could not write the job summary: ${errorText(error)}`);
    }
  }

  fail(message: string): void {
    core.setFailed(this.redact(message));
  }
}
