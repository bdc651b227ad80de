import { createHash } from 'node:crypto';
import { createReadStream, readFileSync } from 'node:fs';
import { open, readFile } from 'node:fs/promises';
import path from 'node:path';

/** The two checks a RASTER upload gets (docs/api.md, "Checks"). */
export const RASTER_CHECK = { _id: 'a4060831-9c6f-42e2-9435-e07a4e8ef535', name: 'Vérification raster' };
export const STANDARD_CHECK = { _id: 'ecb00ba0-eb42-427e-8418-f5d8a30e84ec', name: 'Vérification standard' };

export interface StoredFile {
  /** Path inside the upload, e.g. `data/a/b.tif` or `checksums.md5`. */
  path: string;
  diskPath: string;
  size: number;
  /** When the file shows in the tree (a lagging server); now when unset. */
  visibleAt?: number;
}

/** A log line as the platform writes them: `2026-07-02 06:05:20,394ERROR||cli||237||message`. */
export function logLine(level: 'INFO' | 'WARNING' | 'ERROR', message: string, now = new Date()): string {
  const stamp = now.toISOString().replace('T', ' ').replace('Z', '').replace('.', ',');
  return `${stamp}${level}||cli||237||${message}`;
}

/**
 * What GDAL reads in each sample and fixture raster (written by scripts/make-samples.sh): the
 * emulator judges a file by these, never with the action's own reader, so that a bug in that reader
 * cannot make the action and the server agree. A stored file that starts with an entry's bytes is
 * that raster (tests pad fixtures to make big files).
 */
interface KnownRaster {
  file: string;
  md5: string;
  size: number;
  epsg: number | null;
  georeferenced: boolean;
}
const KNOWN: KnownRaster[] = JSON.parse(readFileSync(new URL('./known-rasters.json', import.meta.url), 'utf8'));
const KNOWN_PREFIX = Math.max(...KNOWN.map((k) => k.size));

type Format = 'tiff' | 'jp2' | 'tfw';
const FORMATS: Record<string, Format> = { '.tif': 'tiff', '.tiff': 'tiff', '.jp2': 'jp2', '.tfw': 'tfw' };

/** The raster check: every data file readable, georeferenced, in the upload's SRS. */
export async function rasterCheck(files: StoredFile[], srs: string): Promise<string[]> {
  const lines = [logLine('INFO', `Vérification de ${files.length} fichier(s), SRS déclaré ${srs}`)];
  const declared = Number(/EPSG:(\d+)/i.exec(srs)?.[1]);
  const data = files.filter((f) => f.path.startsWith('data/') && !path.posix.basename(f.path).startsWith('__'));
  const stem = (p: string) => p.replace(/\.[^./]+$/, '').toLowerCase();
  const worldFiles = new Set(data.filter((f) => formatOf(f.path) === 'tfw').map((f) => stem(f.path)));
  if (data.length === 0) lines.push(logLine('ERROR', 'Aucun fichier de données dans la livraison'));
  for (const file of data) {
    const name = `/mnt/upload/${file.path}`;
    const format = formatOf(file.path);
    try {
      if (format === undefined) lines.push(logLine('ERROR', `Format non supporté pour le fichier ${name}`));
      else if (format === 'tfw') {
        if (!isWorldFile(await readFile(file.diskPath, 'utf8')))
          lines.push(logLine('ERROR', `Le fichier ${name} n'est pas un fichier TFW valide`));
      } else lines.push(await rasterLine(file, format, name, declared, worldFiles.has(stem(file.path))));
    } catch (error) {
      lines.push(logLine('ERROR', `Le fichier ${name} n'est pas lisible : ${(error as Error).message}`));
    }
  }
  lines.push(logLine('INFO', "Vérification de l'écart de résolution entre les images"));
  return lines;
}

async function rasterLine(file: StoredFile, format: 'tiff' | 'jp2', name: string, declared: number, hasTfw: boolean): Promise<string> {
  const head = await readHead(file.diskPath, KNOWN_PREFIX);
  if (!hasSignature(head, format))
    return logLine('ERROR', `Le fichier ${name} n'est pas lisible : signature ${format.toUpperCase()} absente`);
  const known = KNOWN.find((k) => k.size <= head.length && createHash('md5').update(head.subarray(0, k.size)).digest('hex') === k.md5);
  // A raster GDAL was not asked about: readable, in the declared SRS (as the platform assumes for a TFW).
  if (!known) return logLine('INFO', `Fichier ${name} lisible, SRS déclaré retenu`);
  if (known.epsg !== null && known.epsg !== declared) return logLine('ERROR', `Incohérence avec le SRS du fichier ${name}`);
  if (!known.georeferenced && !hasTfw) return logLine('ERROR', `Le fichier ${name} n'est pas géoréférencé et n'a pas de fichier TFW`);
  return logLine('INFO', `Fichier ${name} lisible, géoréférencement extrait`);
}

function formatOf(remotePath: string): Format | undefined {
  return FORMATS[path.posix.extname(remotePath).toLowerCase()];
}

/** TIFF (`II*\0`, `MM\0*`, BigTIFF `II+\0`, `MM\0+`) or JPEG 2000 (its signature box). */
function hasSignature(head: Buffer, format: 'tiff' | 'jp2'): boolean {
  if (format === 'jp2') return head.subarray(0, 12).equals(Buffer.from('0000000c6a5020200d0a870a', 'hex'));
  const magic = head.subarray(0, 4).toString('hex');
  return ['49492a00', '4d4d002a', '49492b00', '4d4d002b'].includes(magic);
}

/** A world file: six numbers, one a line. */
function isWorldFile(text: string): boolean {
  const values = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter(Boolean);
  return values.length === 6 && values.every((v) => Number.isFinite(Number(v)));
}

async function readHead(file: string, bytes: number): Promise<Buffer> {
  const handle = await open(file, 'r');
  try {
    const buffer = Buffer.alloc(bytes);
    const { bytesRead } = await handle.read(buffer, 0, bytes, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

/** The standard check: every MD5 file at the root matches the stored data files. */
export async function standardCheck(files: StoredFile[]): Promise<string[]> {
  const lines = [logLine('INFO', 'Contrôle des signatures MD5 fournies')];
  const byPath = new Map(files.map((f) => [f.path, f]));
  for (const md5File of files.filter((f) => !f.path.includes('/') && f.path.endsWith('.md5'))) {
    const text = await readFile(md5File.diskPath, 'utf8');
    for (const raw of text.split('\n')) {
      if (!raw.trim()) continue;
      const match = /^([0-9a-fA-F]{32}) [ *](.+)$/.exec(raw.replace(/\r$/, ''));
      if (!match) {
        lines.push(logLine('ERROR', `Ligne invalide dans ${md5File.path} : ${raw.slice(0, 80)}`));
        continue;
      }
      const target = byPath.get(match[2]);
      if (!target) lines.push(logLine('ERROR', `Fichier ${match[2]} absent de la livraison (cité par ${md5File.path})`));
      else if ((await md5(target.diskPath)) !== match[1].toLowerCase())
        lines.push(logLine('ERROR', `Signature MD5 incorrecte pour le fichier ${match[2]}`));
    }
  }
  return lines;
}

async function md5(file: string): Promise<string> {
  const hash = createHash('md5');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}
