import { execFile } from 'node:child_process';

/** Git's answers can list a whole repository's tree (about 100 bytes a file). */
const GIT_OUTPUT_BYTES = 512 * 1024 * 1024;

/**
 * Runs git in `cwd` (the runners have it, with git-lfs) and resolves with what it printed; rejects
 * with what it said on its error output.
 */
export function git(cwd: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile('git', args, { cwd, maxBuffer: GIT_OUTPUT_BYTES, encoding: 'utf8' }, (error, stdout, stderr) =>
      error ? reject(new Error(stderr.trim() || error.message)) : resolve(stdout),
    ),
  );
}
