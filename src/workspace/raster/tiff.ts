import { FormatError } from '../../shared/errors.js';
import type { ByteSource } from './byte-source.js';

/** What a TIFF's first IFD says about georeferencing; pixels are never read. */
export interface TiffInfo {
  bigTiff: boolean;
  /** The EPSG code of the CRS, or undefined when absent or user-defined. */
  epsg?: number;
  /** True when the CRS is present but has no EPSG code (user-defined: GeoKey value 32767). */
  userDefinedCrs: boolean;
  /** True when the file places itself on the ground (tie point + scale, or a transformation). */
  georeferenced: boolean;
  /** Pixels across and down, when the header says. */
  width?: number;
  height?: number;
  /** Pixel → ground, as GDAL's geotransform: x = t0 + col·t1 + row·t2, y = t3 + col·t4 + row·t5. */
  transform?: GeoTransform;
}

export type GeoTransform = [number, number, number, number, number, number];

export class TiffFormatError extends FormatError {}

// TIFF 6.0 and GeoTIFF 1.1 (OGC 19-008r4) tag and key numbers.
const TAG_IMAGE_WIDTH = 256;
const TAG_IMAGE_LENGTH = 257;
const TAG_MODEL_PIXEL_SCALE = 33550;
const TAG_MODEL_TIEPOINT = 33922;
const TAG_MODEL_TRANSFORMATION = 34264;
const TAG_GEO_KEY_DIRECTORY = 34735;
const KEY_MODEL_TYPE = 1024;
const KEY_RASTER_TYPE = 1025;
const RASTER_PIXEL_IS_POINT = 2;
const KEY_GEOGRAPHIC_TYPE = 2048;
const KEY_PROJECTED_CS_TYPE = 3072;
const MODEL_TYPE_PROJECTED = 1;
const MODEL_TYPE_GEOGRAPHIC = 2;
const USER_DEFINED = 32767;
const WANTED_TAGS = new Set([
  TAG_IMAGE_WIDTH,
  TAG_IMAGE_LENGTH,
  TAG_MODEL_PIXEL_SCALE,
  TAG_MODEL_TIEPOINT,
  TAG_MODEL_TRANSFORMATION,
  TAG_GEO_KEY_DIRECTORY,
]);
/** A GeoKey directory longer than this (a 4-short header and 4 shorts a key) is not one to trust. */
const MAX_GEO_KEY_SHORTS = 4 + 4 * 1024;
/** Bytes per value of the numeric types read (SHORT, LONG, DOUBLE, LONG8): what ImageWidth and the model and GeoKey tags use. */
const NUMBER_WIDTHS: Record<number, number | undefined> = { 3: 2, 4: 4, 12: 8, 16: 8 };
/** A first IFD with more entries than this is not a raster header we can trust. */
const MAX_IFD_ENTRIES = 4096;

/** True when the first bytes are a TIFF (II*\0 / MM\0*) or BigTIFF (II+\0 / MM\0+) signature. */
export function isTiffSignature(head: Buffer): boolean {
  if (head.length < 4) return false;
  const order = head.toString('latin1', 0, 2);
  if (order !== 'II' && order !== 'MM') return false;
  const magic = order === 'II' ? head.readUInt16LE(2) : head.readUInt16BE(2);
  return magic === 42 || magic === 43;
}

export async function readTiffInfo(source: ByteSource): Promise<TiffInfo> {
  const ifd = await readFirstIfd(source);
  const numbers = await decodeTags(source, ifd);
  const georeferenced = ifd.tags.has(TAG_MODEL_TRANSFORMATION) || (ifd.tags.has(TAG_MODEL_TIEPOINT) && ifd.tags.has(TAG_MODEL_PIXEL_SCALE));
  const info: TiffInfo = { bigTiff: ifd.bigTiff, userDefinedCrs: false, georeferenced };
  info.width = numbers.get(TAG_IMAGE_WIDTH)?.[0];
  info.height = numbers.get(TAG_IMAGE_LENGTH)?.[0];
  info.transform = geoTransform(numbers.get(TAG_MODEL_TRANSFORMATION), numbers.get(TAG_MODEL_TIEPOINT), numbers.get(TAG_MODEL_PIXEL_SCALE));
  const directory = numbers.get(TAG_GEO_KEY_DIRECTORY);
  if (directory && directory.length >= 4) applyGeoKeys(info, directory);
  return info;
}

/** A kept IFD entry: its type and count, where its values are, and where they would sit inline. */
interface Entry {
  type: number;
  count: number;
  at: number;
  inlineAt: number;
}

/** The first IFD, with the byte order's readers and only the entries of the tags read. */
interface Ifd {
  le: boolean;
  bigTiff: boolean;
  entries: Buffer;
  tags: Map<number, Entry>;
  u16: (b: Buffer, o: number) => number;
  u32: (b: Buffer, o: number) => number;
  u64: (b: Buffer, o: number) => number;
}

async function readFirstIfd(source: ByteSource): Promise<Ifd> {
  const head = await source.read(0, 16);
  if (!isTiffSignature(head)) throw new TiffFormatError('not a TIFF file (bad signature)');
  const le = head.toString('latin1', 0, 2) === 'II';
  const u16 = (b: Buffer, o: number) => (le ? b.readUInt16LE(o) : b.readUInt16BE(o));
  const u32 = (b: Buffer, o: number) => (le ? b.readUInt32LE(o) : b.readUInt32BE(o));
  const u64 = (b: Buffer, o: number) => Number(le ? b.readBigUInt64LE(o) : b.readBigUInt64BE(o));
  const bigTiff = u16(head, 2) === 43;
  if (bigTiff && head.length < 16) throw new TiffFormatError('truncated BigTIFF header');
  const ifdOffset = bigTiff ? u64(head, 8) : u32(head, 4);
  if (ifdOffset < 8 || ifdOffset >= source.size) throw new TiffFormatError('first IFD offset out of range');

  const countSize = bigTiff ? 8 : 2;
  const entrySize = bigTiff ? 20 : 12;
  const countBuf = source.peek?.(ifdOffset, countSize) ?? (await source.read(ifdOffset, countSize));
  if (countBuf.length < countSize) throw new TiffFormatError('truncated IFD');
  const count = bigTiff ? u64(countBuf, 0) : u16(countBuf, 0);
  if (count === 0 || count > MAX_IFD_ENTRIES) throw new TiffFormatError(`implausible IFD entry count ${count}`);
  const entries = source.peek?.(ifdOffset + countSize, count * entrySize) ?? (await source.read(ifdOffset + countSize, count * entrySize));
  if (entries.length < count * entrySize) throw new TiffFormatError('truncated IFD');

  // Only the tags read are kept: thousands of tiles are preflighted, so nothing is made for the
  // others (strip offsets, colour maps…).
  const tags = new Map<number, Entry>();
  for (let i = 0; i < count; i++) {
    const o = i * entrySize;
    const tag = u16(entries, o);
    if (!WANTED_TAGS.has(tag)) continue;
    const valueAt = o + (bigTiff ? 12 : 8);
    tags.set(tag, {
      type: u16(entries, o + 2),
      count: bigTiff ? u64(entries, o + 4) : u32(entries, o + 4),
      at: bigTiff ? u64(entries, valueAt) : u32(entries, valueAt),
      inlineAt: valueAt,
    });
  }
  return { le, bigTiff, entries, tags, u16, u32, u64 };
}

/**
 * Each kept tag's values, decoded once. The bytes are read without waiting when they sit in the
 * entry or in the source's window: only values elsewhere in the file cost a read.
 */
async function decodeTags(source: ByteSource, ifd: Ifd): Promise<Map<number, number[]>> {
  const { le, u16, u32, u64 } = ifd;
  const inlineSize = ifd.bigTiff ? 8 : 4;
  const numbers = new Map<number, number[]>();
  for (const [tag, entry] of ifd.tags) {
    const width = NUMBER_WIDTHS[entry.type];
    // The GeoKey directory is SHORT and may be long; the other tags hold a few numbers.
    const usable = tag === TAG_GEO_KEY_DIRECTORY ? entry.type === 3 && entry.count <= MAX_GEO_KEY_SHORTS : entry.count <= 64;
    if (!width || !usable) continue;
    const bytes = entry.count * width;
    const buf =
      bytes <= inlineSize
        ? ifd.entries.subarray(entry.inlineAt, entry.inlineAt + bytes)
        : (source.peek?.(entry.at, bytes) ?? (await source.read(entry.at, bytes)));
    if (buf.length < bytes) throw new TiffFormatError(`truncated tag ${tag}`);
    const out = new Array<number>(entry.count);
    for (let k = 0; k < entry.count; k++) {
      const o = k * width;
      out[k] =
        entry.type === 3
          ? u16(buf, o)
          : entry.type === 4
            ? u32(buf, o)
            : entry.type === 16
              ? u64(buf, o)
              : le
                ? buf.readDoubleLE(o)
                : buf.readDoubleBE(o);
    }
    numbers.set(tag, out);
  }
  return numbers;
}

/** The CRS the GeoKeys name, and a point-registered raster's half-pixel shift. */
function applyGeoKeys(info: TiffInfo, directory: number[]): void {
  // Header: KeyDirectoryVersion, KeyRevision, MinorRevision, NumberOfKeys; then 4 shorts per key:
  // KeyID, TIFFTagLocation (0 = value inline), Count, Value_Offset.
  const keys = new Map<number, number>();
  const numberOfKeys = directory[3];
  for (let k = 0; k < numberOfKeys; k++) {
    const base = 4 + k * 4;
    if (base + 3 >= directory.length) break;
    if (directory[base + 1] === 0) keys.set(directory[base], directory[base + 3]);
  }
  // A point-registered raster's tie point is a pixel's centre: GDAL moves it half a pixel.
  if (keys.get(KEY_RASTER_TYPE) === RASTER_PIXEL_IS_POINT && info.transform) {
    const [t0, t1, t2, t3, t4, t5] = info.transform;
    info.transform = [t0 - (t1 + t2) / 2, t1, t2, t3 - (t4 + t5) / 2, t4, t5];
  }
  const modelType = keys.get(KEY_MODEL_TYPE);
  const projected = keys.get(KEY_PROJECTED_CS_TYPE);
  const geographic = keys.get(KEY_GEOGRAPHIC_TYPE);
  const code =
    modelType === MODEL_TYPE_GEOGRAPHIC
      ? geographic
      : modelType === MODEL_TYPE_PROJECTED || projected !== undefined
        ? projected
        : geographic;
  if (code === USER_DEFINED) info.userDefinedCrs = true;
  else if (code !== undefined && code > 0) info.epsg = code;
  else if (modelType !== undefined) info.userDefinedCrs = true;
}

/** GeoTIFF's model tags as a geotransform: a 4x4 transformation, or a tie point and a pixel scale. */
function geoTransform(matrix?: number[], tiepoint?: number[], scale?: number[]): GeoTransform | undefined {
  if (matrix && matrix.length >= 8) return [matrix[3], matrix[0], matrix[1], matrix[7], matrix[4], matrix[5]];
  if (tiepoint && tiepoint.length >= 6 && scale && scale.length >= 2) {
    const [i, j, , x, y] = tiepoint;
    return [x - i * scale[0], scale[0], 0, y + j * scale[1], 0, -scale[1]];
  }
  return undefined;
}
