import { spawn } from 'node:child_process';
import type { Writable } from 'node:stream';
import { abortError, onAnyAbort } from '../shared/abort.js';
import { GitError } from '../shared/errors.js';
import { formatDuration } from '../shared/format.js';

/** Git's answers can list a whole repository's tree (about 100 bytes a file). */
const GIT_OUTPUT_BYTES = 512 * 1024 * 1024;
/** What git says on its error output is kept for the message, up to this. */
const GIT_STDERR_BYTES = 64 * 1024;
/** A git call that reads only the local repository (rev-parse, ls-tree, status) ends within this. */
const LOCAL_GIT_TIMEOUT_MS = 5 * 60_000;
/**
 * A git call that talks to a remote (a fetch, git lfs pull) ends within this: an hour by default,
 * for a large LFS fetch; `GPF_GIT_TIMEOUT_MINUTES` in the step's `env:` changes it (README, "Git").
 */
export function networkGitTimeoutMs(env: Readonly<Record<string, string | undefined>> = process.env): number {
  const minutes = Number(env.GPF_GIT_TIMEOUT_MINUTES);
  return Number.isFinite(minutes) && minutes > 0 ? minutes * 60_000 : 60 * 60_000;
}

export interface GitCall {
  /** The call is killed, with every process it started, past this. */
  timeoutMs?: number;
  /** The run's cancellation: the call is killed at once. */
  signal?: AbortSignal;
  /** Written to git's standard input. */
  input?: string;
  /** Git's standard output goes here (a file) instead of being returned. */
  stdoutTo?: Writable;
}

/**
 * Runs git in `cwd` and resolves with what it printed. No shell: every value is one argument, and
 * callers fence values with `--end-of-options` or `--`. Git runs in its own process group, so that a
 * timeout or a cancel kills what it started too (a remote helper, git-lfs). Rejects with a GitError
 * that tells git missing from git failing.
 */
export function git(cwd: string, args: string[], call: GitCall = {}): Promise<string> {
  const timeoutMs = call.timeoutMs ?? LOCAL_GIT_TIMEOUT_MS;
  return new Promise((resolve, reject) => {
    const child = spawn('git', args, {
      cwd,
      detached: true,
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, GIT_TERMINAL_PROMPT: '0' },
    });
    const out: Buffer[] = [];
    let outBytes = 0;
    let err = '';
    let ended: Error | undefined;
    const kill = (why: Error) => {
      ended ??= why;
      // The group: git and what it started. It may be gone already.
      if (child.pid) {
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {
          // already exited
        }
      }
    };
    const timer = setTimeout(() => kill(new GitError(args, 'timeout', `no answer within ${formatDuration(timeoutMs)}`)), timeoutMs);
    // The job's cancel is the run's, said as a cancel: the call is killed, and its error is the abort's.
    const stopListening = onAnyAbort([call.signal], (signal) => kill(abortError(signal)));
    if (call.stdoutTo) child.stdout.pipe(call.stdoutTo);
    else
      child.stdout.on('data', (chunk: Buffer) => {
        outBytes += chunk.length;
        if (outBytes > GIT_OUTPUT_BYTES) kill(new GitError(args, 'failed', 'its answer is too large'));
        else out.push(chunk);
      });
    child.stderr.on('data', (chunk: Buffer) => {
      if (err.length < GIT_STDERR_BYTES) err += chunk.toString('utf8');
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(call.input ?? '');
    child.on('error', (error: NodeJS.ErrnoException) => {
      ended ??=
        error.code === 'ENOENT'
          ? new GitError(args, 'missing', 'git is not installed on this runner (or not on PATH)')
          : new GitError(args, 'failed', error.message);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      stopListening();
      if (ended) return reject(ended);
      if (code !== 0) return reject(new GitError(args, 'failed', err.trim() || `exit code ${code}`));
      resolve(Buffer.concat(out).toString('utf8'));
    });
  });
}
