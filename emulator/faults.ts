import type { IncomingMessage, ServerResponse } from 'node:http';
import { drain, readText } from './http.js';
import type { FaultKind } from './core.js';
import type { RequestRecord } from './options.js';

export interface FaultRule {
  /** Route name, e.g. 'postData', 'createUpload', 'tree', 'checks', 'token' (see server.ts). */
  route: string;
  method?: string;
  times?: number;
  /** Let this many matching requests through before the rule fires. */
  skip?: number;
  probability?: number;
  /** Only for requests whose `path` query parameter matches. */
  pathMatches?: RegExp;
  fault: FaultKind;
}

export class Faults {
  private rules: Array<FaultRule & { fired: number; seen: number }> = [];
  /** Faults fired so far, for assertions. */
  readonly fired: Array<{ route: string; fault: FaultKind; path?: string }> = [];

  constructor(private readonly random: () => number = Math.random) {}

  add(...rules: FaultRule[]): void {
    this.rules.push(...rules.map((r) => ({ ...r, fired: 0, seen: 0 })));
  }

  clear(): void {
    this.rules = [];
  }

  /** The fault for this request, if any rule fires. */
  pick(route: string, method: string, path?: string): FaultKind | undefined {
    for (const rule of this.rules) {
      if (rule.route !== route) continue;
      if (rule.method && rule.method !== method) continue;
      if (rule.pathMatches && !(path && rule.pathMatches.test(path))) continue;
      if (rule.times !== undefined && rule.fired >= rule.times) continue;
      if (rule.skip !== undefined && rule.seen++ < rule.skip) continue;
      if (rule.probability !== undefined && this.random() >= rule.probability) continue;
      rule.fired++;
      this.fired.push({ route, fault: rule.fault, path });
      return rule.fault;
    }
    return undefined;
  }
}

/** A deterministic PRNG (mulberry32), so fault mixes repeat from run to run. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Answers a request as its fault says, before any handler runs; false when the handler is still
 * to act (a delay, or a fault the handler plays itself: a cut body, a lost answer, a slow one).
 */
export async function answerFault(fault: FaultKind, req: IncomingMessage, res: ServerResponse, record: RequestRecord): Promise<boolean> {
  if ('delayMs' in fault) await new Promise((r) => setTimeout(r, fault.delayMs));
  if ('reset' in fault) {
    req.socket.destroy();
    return true;
  }
  if ('stall' in fault) {
    req.pause();
    return true;
  }
  if ('status' in fault) {
    const received = await readText(req);
    const headers: Record<string, string> = { 'content-type': fault.contentType ?? 'application/json' };
    if (fault.retryAfterSeconds !== undefined) headers['retry-after'] = String(fault.retryAfterSeconds);
    if (fault.location) headers.location = fault.location;
    // A careless endpoint that quotes the request back (a token endpoint echoing the form).
    const description = `Erreur injectée ${fault.status}${fault.echoRequest ? ` pour la requête ${received}` : ''}`;
    res.writeHead(fault.status, headers).end(fault.body ?? JSON.stringify({ error_description: [description] }));
    return true;
  }
  if ('endlessBody' in fault) {
    await drain(req);
    record.bytesAnswered = 0;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.write('[');
    const chunk = Buffer.from(`${JSON.stringify({ _id: 'x'.repeat(1000) })},`.repeat(64));
    // Writes as long as the client reads; stops when it goes away.
    const pump = () => {
      while (!res.destroyed && res.write(chunk)) record.bytesAnswered = (record.bytesAnswered ?? 0) + chunk.length;
      if (!res.destroyed) res.once('drain', pump);
    };
    pump();
    return true;
  }
  if ('hangBody' in fault) {
    await drain(req);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.write('[{"_id":'); // and nothing more, ever
    return true;
  }
  return false;
}
