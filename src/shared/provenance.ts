/**
 * Tags that trace what the action makes (an upload, a pyramid) back to the run that made it, from
 * the runner's variables; a user's `tags` may not set them. The commit's tag also tells a re-run
 * of the same commit (publish.ts).
 */
export const PROVENANCE_KEYS = { repository: 'github_repository', sha: 'github_sha', runUrl: 'github_run_url' } as const;

export const RESERVED_TAG_KEYS: readonly string[] = Object.values(PROVENANCE_KEYS);

/** Read from the runner's variables: the GitHub client (and its start-up time) is not needed here. */
export function provenanceTags(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const { GITHUB_REPOSITORY: repository, GITHUB_SHA: sha, GITHUB_RUN_ID: runId, GITHUB_SERVER_URL: server } = env;
  if (!repository) return {};
  const tags: Record<string, string> = { [PROVENANCE_KEYS.repository]: repository };
  if (sha) tags[PROVENANCE_KEYS.sha] = sha;
  if (runId) tags[PROVENANCE_KEYS.runUrl] = `${server || 'https://github.com'}/${repository}/actions/runs/${runId}`;
  return tags;
}
