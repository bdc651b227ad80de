import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface StoredComment {
  id: number;
  body: string;
  user: { login: string };
}

/**
 * A small local stand-in for GitHub's REST API, as far as issue comments go: list (paged, with a
 * Link header), create and update, `GET /user` refused as for the workflow's GITHUB_TOKEN (403), a
 * read-only mode that answers 403 to writes, as a fork's token gets, and a mode that never answers
 * (`hang`). Reached through GITHUB_API_URL.
 */
export class GitHubApi {
  readonly comments = new Map<number, StoredComment[]>(); // issue number → comments
  readonly requests: Array<{ method: string; path: string; status: number }> = [];
  readOnly = false;
  /** Takes every request and never answers: the client's bound must end the wait. */
  hang = false;
  private nextId = 1000;
  private server = http.createServer((req, res) => void this.handle(req, res));
  url = '';

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.url;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Someone else's comment, to be left alone. */
  add(issue: number, body: string, login = 'a-reviewer'): void {
    this.comments.set(issue, [...(this.comments.get(issue) ?? []), { id: this.nextId++, body, user: { login } }]);
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    if (this.hang) {
      this.requests.push({ method: req.method ?? '', path: req.url ?? '', status: 0 });
      return;
    }
    const url = new URL(req.url ?? '/', this.url);
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = chunks.length ? (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { body?: string }) : {};
    const send = (status: number, value: unknown, headers: Record<string, string> = {}) => {
      this.requests.push({ method: req.method ?? '', path: url.pathname, status });
      res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(value));
    };
    if (req.headers.authorization !== 'token gh-test-token' && req.headers.authorization !== 'Bearer gh-test-token')
      return send(401, { message: 'Bad credentials' });
    // An installation token (GITHUB_TOKEN) may not read the authenticated user.
    if (url.pathname === '/user') return send(403, { message: 'Resource not accessible by integration' });
    const list = /^\/repos\/[^/]+\/[^/]+\/issues\/(\d+)\/comments$/.exec(url.pathname);
    const one = /^\/repos\/[^/]+\/[^/]+\/issues\/comments\/(\d+)$/.exec(url.pathname);
    if (list && req.method === 'GET') {
      const all = this.comments.get(Number(list[1])) ?? [];
      const perPage = Number(url.searchParams.get('per_page') ?? 30);
      const page = Number(url.searchParams.get('page') ?? 1);
      const last = Math.max(1, Math.ceil(all.length / perPage));
      const next = new URL(url);
      next.searchParams.set('page', String(page + 1));
      return send(200, all.slice((page - 1) * perPage, page * perPage), page < last ? { link: `<${next}>; rel="next"` } : {});
    }
    if (this.readOnly && req.method !== 'GET') return send(403, { message: 'Resource not accessible by integration' });
    if (list && req.method === 'POST') {
      const comment = { id: this.nextId++, body: String(body.body), user: { login: 'github-actions[bot]' } };
      this.comments.set(Number(list[1]), [...(this.comments.get(Number(list[1])) ?? []), comment]);
      return send(201, { ...comment, html_url: `https://github.com/comment/${comment.id}` });
    }
    if (one && req.method === 'PATCH') {
      for (const comments of this.comments.values()) {
        const found = comments.find((c) => c.id === Number(one[1]));
        if (found) {
          found.body = String(body.body);
          return send(200, found);
        }
      }
      return send(404, { message: 'Not Found' });
    }
    send(404, { message: 'Not Found' });
  }
}
