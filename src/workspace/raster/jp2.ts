import { FormatError } from '../../shared/errors.js';
import { bufferSource, type ByteSource } from './byte-source.js';
import { readTiffInfo, type GeoTransform } from './tiff.js';

/** What a JP2 file's boxes say about georeferencing; the codestream is never read. */
export interface Jp2Info {
  epsg?: number;
  userDefinedCrs: boolean;
  georeferenced: boolean;
  /** Which box gave the CRS. */
  crsFrom?: 'geojp2' | 'gmljp2';
  /** From the image header box. */
  width?: number;
  height?: number;
  /** Pixel → ground (GeoJP2's tie point and scale, else GMLJP2's grid). */
  transform?: GeoTransform;
}

export class Jp2FormatError extends FormatError {}

/** ISO/IEC 15444-1 signature box: length 12, type 'jP  ', content 0D0A870A. */
const SIGNATURE = Buffer.from('0000000c6a5020200d0a870a', 'hex');
/** GeoJP2 UUID box: a degenerate GeoTIFF carrying the GeoKeys (OGC GeoJP2 / GDAL). */
const GEOJP2_UUID = Buffer.from('b14bf8bd083d4b43a5ae8cd7d5a6ce03', 'hex');
/** Metadata boxes larger than this are not read: real GeoJP2 and GML boxes are a few KB. */
const MAX_METADATA_BOX = 4 * 1024 * 1024;
/** Boxes that contain other boxes and may hold GML. */
const SUPERBOXES = new Set(['asoc', 'jp2h', 'res ']);

export function isJp2Signature(head: Buffer): boolean {
  return head.length >= 12 && head.subarray(0, 12).equals(SIGNATURE);
}

interface Box {
  type: string;
  start: number; // of the contents
  end: number;
}

async function* boxes(source: ByteSource, from: number, to: number): AsyncGenerator<Box> {
  let at = from;
  while (at + 8 <= to) {
    const header = await source.read(at, 16);
    if (header.length < 8) return;
    let length = header.readUInt32BE(0);
    const type = header.toString('latin1', 4, 8);
    let headerSize = 8;
    if (length === 1) {
      if (header.length < 16) return;
      length = Number(header.readBigUInt64BE(8));
      headerSize = 16;
    } else if (length === 0) {
      length = to - at; // last box runs to the end
    }
    if (length < headerSize || at + length > to) throw new Jp2FormatError(`box '${type}' overruns its container`);
    yield { type, start: at + headerSize, end: at + length };
    at += length;
  }
}

export async function readJp2Info(source: ByteSource): Promise<Jp2Info> {
  if (!isJp2Signature(await source.read(0, 12))) throw new Jp2FormatError('not a JPEG2000 JP2 file (bad signature)');
  const info: Jp2Info = { userDefinedCrs: false, georeferenced: false };
  let gmlEpsg: number | undefined;
  let gmlFound = false;
  let gmlTransform: GeoTransform | undefined;

  const visit = async (from: number, to: number): Promise<boolean> => {
    for await (const box of boxes(source, from, to)) {
      if (box.type === 'jp2c') return true; // the codestream: everything useful came before
      const size = box.end - box.start;
      if (box.type === 'uuid' && size > 16 && size <= MAX_METADATA_BOX) {
        const content = await source.read(box.start, size);
        if (content.subarray(0, 16).equals(GEOJP2_UUID)) {
          const tiff = await readTiffInfo(bufferSource(content.subarray(16)));
          info.georeferenced ||= tiff.georeferenced;
          info.transform ??= tiff.transform;
          if (tiff.epsg !== undefined || tiff.userDefinedCrs) {
            info.epsg = tiff.epsg;
            info.userDefinedCrs = tiff.userDefinedCrs;
            info.crsFrom = 'geojp2';
          }
        }
      } else if (box.type === 'xml ' && size <= MAX_METADATA_BOX) {
        const xml = (await source.read(box.start, size)).toString('utf8');
        if (xml.includes('gml:')) {
          gmlFound = true;
          gmlEpsg ??= epsgFromSrsName(xml);
          gmlTransform ??= gridTransform(xml);
        }
      } else if (box.type === 'ihdr' && size >= 8) {
        const header = await source.read(box.start, 8);
        info.height = header.readUInt32BE(0);
        info.width = header.readUInt32BE(4);
      } else if (SUPERBOXES.has(box.type)) {
        if (await visit(box.start, box.end)) return true;
      }
    }
    return false;
  };
  await visit(0, source.size);

  info.transform ??= gmlTransform;
  if (info.crsFrom === undefined && gmlFound) {
    info.georeferenced = true;
    info.epsg = gmlEpsg;
    info.userDefinedCrs = gmlEpsg === undefined;
    info.crsFrom = 'gmljp2';
  }
  return info;
}

/** `srsName="urn:ogc:def:crs:EPSG::2154"`, `"EPSG:2154"` or `".../def/crs/EPSG/0/2154"`. */
function epsgFromSrsName(xml: string): number | undefined {
  const match = /srsName\s*=\s*["'][^"']*?EPSG(?::+|\/\d+\/|\/)(\d+)["']/i.exec(xml);
  return match ? Number(match[1]) : undefined;
}

/**
 * A GMLJP2 RectifiedGrid as a geotransform: its origin is the centre of the first pixel, its two
 * offset vectors the steps along columns and rows. Coordinates are taken in x, y order.
 */
function gridTransform(xml: string): GeoTransform | undefined {
  const numbers = (text: string | undefined) => (text ?? '').trim().split(/\s+/).map(Number);
  const origin = numbers(/<gml:origin>[\s\S]*?<gml:(?:pos|coordinates)[^>]*>([^<]+)</.exec(xml)?.[1]);
  const vectors = [...xml.matchAll(/<gml:offsetVector[^>]*>([^<]+)</g)].map((m) => numbers(m[1]));
  if (origin.length < 2 || vectors.length < 2 || [...origin, ...vectors[0], ...vectors[1]].some((n) => !Number.isFinite(n)))
    return undefined;
  const [[a, d], [b, e]] = vectors;
  return [origin[0] - (a + b) / 2, a, b, origin[1] - (d + e) / 2, d, e];
}
