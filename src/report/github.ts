import { errorText } from '../shared/errors.js';
/**
 * The pull-request comment on GitHub: one per upload name, found again by its hidden marker and
 * updated in place. The GitHub client is loaded here only, when a comment is written, so that a
 * plain publish does not pay for it at start-up. A comment that cannot be written (a fork's
 * read-only token) is skipped, never a failure.
 */

export type CommentOutcome = { kind: 'created' | 'updated'; id: number } | { kind: 'skipped'; reason: string };

/** True on the events that are about a pull request (read from the runner's variables, no client). */
export function isPullRequestEvent(env: Readonly<Record<string, string | undefined>>): boolean {
  const event = env.GITHUB_EVENT_NAME;
  return event === 'pull_request' || event === 'pull_request_target';
}

export async function upsertComment(body: string, marker: string, token: string): Promise<CommentOutcome> {
  const github = await import('@actions/github');
  const number: unknown = github.context.payload.pull_request?.number ?? github.context.payload.number;
  if (typeof number !== 'number') return { kind: 'skipped', reason: 'the event names no pull request' };
  const { owner, repo } = github.context.repo;
  try {
    const octokit = github.getOctokit(token);
    const comments = await octokit.paginate(octokit.rest.issues.listComments, { owner, repo, issue_number: number, per_page: 100 });
    const mine = comments.find((c) => c.body?.includes(marker));
    if (mine) {
      await octokit.rest.issues.updateComment({ owner, repo, comment_id: mine.id, body });
      return { kind: 'updated', id: mine.id };
    }
    const { data } = await octokit.rest.issues.createComment({ owner, repo, issue_number: number, body });
    return { kind: 'created', id: data.id };
  } catch (error) {
    const status = (error as { status?: number }).status;
    const reason =
      status === 403 || status === 404
        ? `the token may not write to this pull request (HTTP ${status}); a pull request from a fork gets a read-only token, or the workflow lacks permissions: pull-requests: write`
        : `GitHub did not take it (${errorText(error)})`;
    return { kind: 'skipped', reason };
  }
}
