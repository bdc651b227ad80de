import { errorText } from '../shared/errors.js';
import { esc } from './text.js';

/** Too short a value would blank out ordinary words; the runner still masks it in the log. */
const MIN_SCRUBBED_LENGTH = 4;

type AnnotationProperties = { title?: string; file?: string };

/**
 * What the run writes through: the runner's workflow commands, as `@actions/core` gives them
 * (`main` passes `core`; tests pass a recorder).
 */
export interface RunnerCommands {
  info(message: string): void;
  debug(message: string): void;
  isDebug(): boolean;
  warning(message: string, properties?: AnnotationProperties): void;
  notice(message: string, properties?: AnnotationProperties): void;
  error(message: string, properties?: AnnotationProperties): void;
  setOutput(name: string, value: unknown): void;
  setFailed(message: string): void;
  setSecret(secret: string): void;
  startGroup(name: string): void;
  endGroup(): void;
  summary: { addRaw(text: string, addEOL?: boolean): { write(): Promise<unknown> } };
}

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

  constructor(
    private readonly runner: RunnerCommands,
    secrets: string[] = [],
  ) {
    this.secrets = [...secrets];
  }

  /** A debug line, written only when the runner shows them (its cost is skipped otherwise). */
  debug(line: () => string): void {
    if (this.runner.isDebug()) this.runner.debug(this.redact(line()));
  }

  /** A value that must never show: the runner masks it in the log, and the rest is scrubbed here. */
  secret(value: string): void {
    this.runner.setSecret(value);
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
    this.runner.info(this.redact(text).replace(/[\r\n]+/g, ' ⏎ '));
  }

  warning(message: string, properties?: AnnotationProperties): void {
    this.runner.warning(this.redact(message), properties);
  }

  notice(message: string, properties?: AnnotationProperties): void {
    this.runner.notice(this.redact(message), properties);
  }

  error(message: string, properties?: AnnotationProperties): void {
    this.runner.error(this.redact(message), properties);
  }

  output(name: string, value: string | number): void {
    this.runner.setOutput(name, typeof value === 'string' ? this.redact(value) : value);
  }

  startGroup(title: string): void {
    this.runner.startGroup(this.redact(title));
  }

  endGroup(): void {
    this.runner.endGroup();
  }

  async summary(html: string): Promise<void> {
    try {
      await this.runner.summary.addRaw(this.redact(html), true).write();
    } catch (error) {
      this.runner.warning(`Could not write the job summary: ${errorText(error)}`);
    }
  }

  fail(message: string): void {
    this.runner.setFailed(this.redact(message));
  }
}
