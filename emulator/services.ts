import { deflateSync } from 'node:zlib';
import type { Context } from './core.js';

/**
 * The services a published layer is read through, as far as a summary's preview and a
 * GetCapabilities link go: a GetMap or a tile answers a real PNG (a small shaded square), a
 * GetCapabilities a short XML document naming the layers. Not a map server: enough for the run
 * page's picture to show in local runs, and for tests to check it is an image.
 */
export function serveLayer(c: Context, layers: () => string[]): void {
  const request = [...c.query.entries()].find(([k]) => k.toUpperCase() === 'REQUEST')?.[1]?.toUpperCase();
  if (request === 'GETCAPABILITIES') {
    const names = layers()
      .map((name) => `<Layer><Name>${name.replace(/[<>&]/g, '')}</Name></Layer>`)
      .join('');
    c.res.writeHead(200, { 'content-type': 'application/xml' }).end(`<?xml version="1.0"?><Capabilities>${names}</Capabilities>`);
    return;
  }
  c.res.writeHead(200, { 'content-type': 'image/png' }).end(PREVIEW_PNG);
}

/** A 64×64 RGB PNG: a green-to-blue shade, made once. */
const PREVIEW_PNG = png(64, 64, (x, y) => [40, 120 + x, 100 + 2 * y]);

function png(width: number, height: number, pixel: (x: number, y: number) => [number, number, number]): Buffer {
  const raw = Buffer.alloc((width * 3 + 1) * height);
  for (let y = 0; y < height; y++) {
    const row = y * (width * 3 + 1); // each row starts with filter type 0
    for (let x = 0; x < width; x++) raw.set(pixel(x, y), row + 1 + x * 3);
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8); // 8 bits, RGB, deflate, no filter, no interlace
  const chunk = (type: string, data: Buffer) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const typed = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(typed));
    return Buffer.concat([length, typed, crc]);
  };
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([signature, chunk('IHDR', header), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}

function crc32(data: Buffer): number {
  let crc = 0xffffffff;
  for (const byte of data) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0xedb88320 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}
