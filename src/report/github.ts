import { deadline } from '../shared/abort.js';
import { errorText, TimeoutError } from '../shared/errors.js';
import { formatDuration } from '../shared/format.js';

/**
 * The pull-request comment on GitHub: one per upload name, found again by its hidden marker and
 * updated in place, but only one the action's own identity wrote (a marker anyone can copy is not
 * proof). The GitHub client is loaded here only, when a comment is written, so that a plain publish
 * does not pay for it at start-up. Every call is bounded; a comment that cannot be written (a fork's
 * read-only token, GitHub down) is skipped, never a failure of the step.
 */

export type CommentOutcome = { kind: 'created' | 'updated'; id: number } | { kind: 'skipped'; reason: string };

/** The comment's requests together end within this. */
const COMMENT_TIMEOUT_MS = 30_000;
/** Who writes with the workflow's GITHUB_TOKEN, which may not read `GET /user`. */
const ACTIONS_BOT = 'github-actions[bot]';

/** True on the events that are about a pull request (read from the runner's variables, no client). */
export function isPullRequestEvent(env: Readonly<Record<string, string | undefined>>): boolean {
  const event = env.GITHUB_EVENT_NAME;
  return event === 'pull_request' || event === 'pull_request_target';
}

export async function upsertComment(body: string, marker: string, token: string, timeoutMs = COMMENT_TIMEOUT_MS): Promise<CommentOutcome> {
  const github = await import('@actions/github');
  const number: unknown = github.context.payload.pull_request?.number ?? github.context.payload.number;
  if (typeof number !== 'number') return { kind: 'skipped', reason: 'the event names no pull request' };
  const { owner, repo } = github.context.repo;
  const limit = deadline(undefined, timeoutMs, () => new TimeoutError(`GitHub did not answer within ${formatDuration(timeoutMs)}`));
  try {
    const octokit = github.getOctokit(token, { request: { signal: limit.signal } });
    const me = await octokit.rest.users.getAuthenticated().then(
      ({ data }) => data.login,
      () => ACTIONS_BOT,
    );
    const comments = await octokit.paginate(octokit.rest.issues.listComments, { owner, repo, issue_number: number, per_page: 100 });
    const mine = comments.find((c) => c.user?.login === me && c.body?.includes(marker));
    if (mine) {
      const updated = await octokit.rest.issues.updateComment({ owner, repo, comment_id: mine.id, body }).then(
        () => true,
        () => false,
      );
      if (updated) return { kind: 'updated', id: mine.id };
    }
    const { data } = await octokit.rest.issues.createComment({ owner, repo, issue_number: number, body });
    return { kind: 'created', id: data.id };
  } catch (error) {
    return { kind: 'skipped', reason: skipped(error, limit.signal) };
  } finally {
    limit.dispose();
  }
}

function skipped(error: unknown, signal: AbortSignal): string {
  if (signal.aborted && signal.reason instanceof Error) return signal.reason.message;
  const status = typeof error === 'object' && error !== null && 'status' in error ? error.status : undefined;
  return status === 403 || status === 404
    ? `the token may not write to this pull request (HTTP ${String(status)}); a pull request from a fork gets a read-only token, or the workflow lacks permissions: pull-requests: write`
    : `GitHub did not take it (${errorText(error)})`;
}
