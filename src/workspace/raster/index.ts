import { readFile } from 'node:fs/promises';
import { openFileSource } from './byte-source.js';
import { isJp2Signature, Jp2FormatError, readJp2Info } from './jp2.js';
import { isTiffSignature, readTiffInfo, TiffFormatError, type GeoTransform } from './tiff.js';
import { parseWorldFile, WorldFileError, type WorldFile } from './tfw.js';

export type RasterFormat = 'tiff' | 'jp2' | 'tfw';

/** Extensions the Géoplateforme accepts in a RASTER upload (docs/api.md, "Sending a file": the raster tutorial). */
export const RASTER_EXTENSIONS: Record<string, RasterFormat> = {
  '.tif': 'tiff',
  '.tiff': 'tiff',
  '.jp2': 'jp2',
  '.tfw': 'tfw',
};

export interface RasterHeader {
  format: 'tiff' | 'jp2';
  bigTiff?: boolean;
  epsg?: number;
  userDefinedCrs: boolean;
  georeferenced: boolean;
  width?: number;
  height?: number;
  /** Pixel → ground in the raster's own CRS, when its header says (a TIFF may rely on a .tfw). */
  transform?: GeoTransform;
}

/** The format that a file's extension claims, or undefined for an unsupported one. */
export function formatOfPath(path: string): RasterFormat | undefined {
  const dot = path.lastIndexOf('.');
  return dot < 0 ? undefined : RASTER_EXTENSIONS[path.slice(dot).toLowerCase()];
}

/**
 * Reads a raster's header (never its pixels) and says what CRS it declares.
 * Throws with a short reason when the bytes are not the format the extension claims.
 */
export async function readRasterHeader(path: string, format: 'tiff' | 'jp2', size?: number): Promise<RasterHeader> {
  const source = await openFileSource(path, size);
  try {
    const head = await source.read(0, 16);
    if (format === 'tiff') {
      if (!isTiffSignature(head)) throw new TiffFormatError('not a TIFF file (bad signature)');
      const info = await readTiffInfo(source);
      return { format, ...info };
    }
    if (!isJp2Signature(head)) throw new Jp2FormatError('not a JPEG2000 JP2 file (bad signature)');
    const info = await readJp2Info(source);
    return {
      format,
      epsg: info.epsg,
      userDefinedCrs: info.userDefinedCrs,
      georeferenced: info.georeferenced,
      width: info.width,
      height: info.height,
      transform: info.transform,
    };
  } finally {
    await source.close();
  }
}

/** World files are a few dozen bytes; anything bigger is not one. */
const MAX_WORLD_FILE_BYTES = 4096;

export async function readWorldFile(path: string): Promise<WorldFile> {
  const source = await openFileSource(path);
  try {
    if (source.size > MAX_WORLD_FILE_BYTES) throw new WorldFileError(`too large for a world file (${source.size} bytes)`);
  } finally {
    await source.close();
  }
  return parseWorldFile(await readFile(path, 'utf8'));
}
