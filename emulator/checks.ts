import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { formatOfPath, readRasterHeader, readWorldFile } from '../src/raster/index.js';

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

/** The raster check: every data file readable, georeferenced, in the upload's SRS. */
export async function rasterCheck(files: StoredFile[], srs: string): Promise<string[]> {
  const lines = [logLine('INFO', `Vérification de ${files.length} fichier(s), SRS déclaré ${srs}`)];
  const declared = Number(/EPSG:(\d+)/i.exec(srs)?.[1]);
  const data = files.filter((f) => f.path.startsWith('data/') && !path.posix.basename(f.path).startsWith('__'));
  const stems = new Set(data.filter((f) => formatOfPath(f.path) === 'tfw').map((f) => f.path.replace(/\.[^./]+$/, '').toLowerCase()));
  if (data.length === 0) lines.push(logLine('ERROR', 'Aucun fichier de données dans la livraison'));
  for (const file of data) {
    const name = `/mnt/upload/${file.path}`;
    const format = formatOfPath(file.path);
    try {
      if (format === undefined) {
        lines.push(logLine('ERROR', `Format non supporté pour le fichier ${name}`));
      } else if (format === 'tfw') {
        await readWorldFile(file.diskPath);
      } else {
        const header = await readRasterHeader(file.diskPath, format);
        const hasTfw = stems.has(file.path.replace(/\.[^./]+$/, '').toLowerCase());
        if (header.epsg !== undefined && header.epsg !== declared)
          lines.push(logLine('ERROR', `Incohérence avec le SRS du fichier ${name}`));
        else if (!header.georeferenced && !hasTfw)
          lines.push(logLine('ERROR', `Le fichier ${name} n'est pas géoréférencé et n'a pas de fichier TFW`));
        else lines.push(logLine('INFO', `Fichier ${name} lisible, géoréférencement extrait`));
      }
    } catch (error) {
      lines.push(logLine('ERROR', `Le fichier ${name} n'est pas lisible : ${(error as Error).message}`));
    }
  }
  lines.push(logLine('INFO', "Vérification de l'écart de résolution entre les images"));
  return lines;
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
