import { execFileSync } from 'node:child_process';

/** git in `cwd`, as a person with a name and an e-mail runs it (local submodules allowed); its output, trimmed. */
export function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@e', '-c', 'protocol.file.allow=always', ...args], {
    cwd,
    encoding: 'utf8',
  }).trim();
}

/** Everything in `dir` committed (an empty commit too), as `message`; the new commit's id. */
export function commit(dir: string, message: string): string {
  git(dir, 'add', '-A');
  git(dir, 'commit', '-q', '--allow-empty', '-m', message);
  return git(dir, 'rev-parse', 'HEAD');
}

/** `dir` made a repository of one commit, `message`. */
export function initRepository(dir: string, message = 'first'): string {
  git(dir, 'init', '-q', '-b', 'main');
  commit(dir, message);
  return dir;
}
