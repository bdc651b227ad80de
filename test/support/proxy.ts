import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';

/**
 * A forward proxy on 127.0.0.1 that records what went through it: absolute-form requests
 * (`GET http://host/path`) forwarded, and CONNECT tunnels.
 */
export class ForwardProxy {
  readonly seen: Array<{ method: string; target: string }> = [];
  /** Local ports of the proxy's own connections to upstream servers. */
  readonly upstreamPorts = new Set<number>();
  private server = http.createServer((req, res) => {
    this.seen.push({ method: req.method ?? '', target: req.url ?? '' });
    const target = new URL(req.url ?? '');
    const upstream = http.request(
      { host: target.hostname, port: target.port, path: target.pathname + target.search, method: req.method, headers: req.headers },
      (answer) => {
        if (answer.socket.localPort) this.upstreamPorts.add(answer.socket.localPort);
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  private sockets = new Set<{ destroy(): void }>();
  url = '';

  async start(): Promise<string> {
    this.server.on('connect', (req, client, head) => {
      this.seen.push({ method: 'CONNECT', target: req.url ?? '' });
      const [host, port] = (req.url ?? '').split(':');
      const upstream = net.connect(Number(port), host, () => {
        if (upstream.localPort) this.upstreamPorts.add(upstream.localPort);
        client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
        upstream.write(head);
        upstream.pipe(client);
        client.pipe(upstream);
      });
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('error', () => undefined);
        s.on('close', () => this.sockets.delete(s));
      }
    });
    this.server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.url;
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
