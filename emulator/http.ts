import type { IncomingMessage } from 'node:http';

/** An error answer: its status and the `error_description` lines the API would send. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly descriptions: string[],
  ) {
    super(descriptions.join('; '));
  }
}

export async function readText(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export async function drain(req: IncomingMessage): Promise<void> {
  if (req.readableEnded) return;
  for await (const _ of req) void _;
}

/** A request's JSON body, which must be an object (an empty body is `{}`); else 400. */
export function parseObject(text: string): Record<string, unknown> {
  try {
    const body = JSON.parse(text || '{}') as unknown;
    if (body && typeof body === 'object' && !Array.isArray(body)) return body as Record<string, unknown>;
  } catch {
    // said below
  }
  throw new HttpError(400, ['Le corps de la requête doit être un objet JSON']);
}
