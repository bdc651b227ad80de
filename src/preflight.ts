import path from 'node:path';
import { FileError, list, type FileProblem } from './errors.js';
import type { LocalFile } from './files.js';
import { forEachLimited } from './pool.js';
import { formatOfPath, readRasterHeader, readWorldFile, RASTER_EXTENSIONS } from './raster/index.js';
import { worldFileTransform, type WorldFile } from './raster/tfw.js';
import type { GeoTransform } from './raster/tiff.js';

export interface PreflightReport {
  warnings: string[];
}

/** Headers read at the same time: small reads, so a few more than the upload concurrency. */
const HEADER_READ_CONCURRENCY = 16;

/**
 * Checks every file as the platform would, reading headers only: supported format, non-empty,
 * unique base names, TIFF georeferencing or its world file, and each raster's EPSG against `srs`.
 * Throws a FileError listing every problem; returns the warnings.
 */
/** What a raster's header says of where it lies: for the pull-request map. */
export interface RasterGeo {
  epsg?: number;
  width?: number;
  height?: number;
  transform?: GeoTransform;
}

export async function preflight(
  files: LocalFile[],
  epsg: number,
  workspace = process.cwd(),
  onGeo?: (file: LocalFile, geo: RasterGeo) => void,
): Promise<PreflightReport> {
  const worldFiles = new Map<string, WorldFile>(); // stem (lower case) -> its world file
  // Files are named by their path in the repository, as an annotation's `file=` wants them.
  const shown = (file: LocalFile) => path.relative(workspace, file.localPath).split(path.sep).join('/');
  const problems: FileProblem[] = [];
  const warnings: string[] = [];

  const unsupported = files.filter((f) => formatOfPath(f.localPath) === undefined);
  if (unsupported.length > 0) {
    throw new FileError(
      unsupported.map((f) => ({ path: shown(f), problem: 'unsupported extension' })),
      `Unsupported file${unsupported.length > 1 ? 's' : ''} ${list(unsupported.map(shown))}: a RASTER upload takes ${Object.keys(RASTER_EXTENSIONS).join(', ')} only; narrow 'glob', e.g. rasters/**/*.tif`,
    );
  }

  // Kept small whatever the number of files: one entry a base name, and lists only for the clashes.
  const firstWithBase = new Map<string, LocalFile>();
  const clashes = new Map<string, LocalFile[]>();
  for (const file of files) {
    const base = path.posix.basename(file.relativePath);
    const first = firstWithBase.get(base);
    if (first === undefined) firstWithBase.set(base, file);
    else clashes.set(base, [...(clashes.get(base) ?? [first]), file]);
    if (base.startsWith('__')) warnings.push(`${shown(file)}: the platform ignores files whose name starts with '__'`);
    if (file.size === 0) problems.push({ path: shown(file), problem: 'empty file' });
  }
  firstWithBase.clear();
  for (const [base, same] of clashes) {
    problems.push({
      path: same.map(shown).join(' and '),
      problem: `same base name '${base}' in two folders (the archive check refuses it, and a processing may not tell them apart); rename one`,
    });
  }

  const rasters = files.filter((f) => f.size > 0 && formatOfPath(f.localPath) !== 'tfw');
  const tfws = files.filter((f) => f.size > 0 && formatOfPath(f.localPath) === 'tfw');
  // A world file pairs with the TIFF of the same folder and name, whatever the case.
  const stemOf = (file: LocalFile) => file.relativePath.replace(/\.[^./]+$/, '').toLowerCase();
  const tfwStems = new Set(files.filter((f) => formatOfPath(f.localPath) === 'tfw').map(stemOf));
  const tiffStemsWithWorldFile = new Set<string>();
  if (tfwStems.size > 0)
    for (const file of files)
      if (formatOfPath(file.localPath) === 'tiff' && tfwStems.has(stemOf(file))) tiffStemsWithWorldFile.add(stemOf(file));
  const geo: Array<[LocalFile, RasterGeo]> = [];
  const stemHasWorldFile = (file: LocalFile) => tfwStems.has(stemOf(file));

  for (const tfw of tfws) {
    if (!tiffStemsWithWorldFile.has(stemOf(tfw)))
      problems.push({ path: shown(tfw), problem: 'world file without its TIFF (same folder and name, .tif)' });
  }

  await forEachLimited([...tfws, ...rasters], HEADER_READ_CONCURRENCY, async (file) => {
    const format = formatOfPath(file.localPath);
    try {
      if (format === 'tfw') {
        worldFiles.set(stemOf(file), await readWorldFile(file.localPath));
        return;
      }
      const header = await readRasterHeader(file.localPath, format === 'jp2' ? 'jp2' : 'tiff', file.size);
      if (onGeo) geo.push([file, { epsg: header.epsg, width: header.width, height: header.height, transform: header.transform }]);
      if (header.epsg !== undefined && header.epsg !== epsg) {
        problems.push({ path: shown(file), problem: `EPSG:${header.epsg}, not EPSG:${epsg}` });
      } else if (header.userDefinedCrs) {
        warnings.push(`${shown(file)}: its CRS has no EPSG code, so it cannot be compared with EPSG:${epsg}`);
      } else if (header.format === 'tiff' && !header.georeferenced && !stemHasWorldFile(file)) {
        problems.push({ path: shown(file), problem: 'TIFF with no georeferencing and no .tfw world file beside it' });
      }
    } catch (error) {
      problems.push({ path: shown(file), problem: `unreadable: ${(error as Error).message}` });
    }
  });

  // World files were read first: a TIFF without its own georeferencing takes its world file's.
  for (const [file, found] of geo) {
    const tfw = worldFiles.get(stemOf(file));
    onGeo?.(file, { ...found, epsg: found.epsg ?? epsg, transform: found.transform ?? (tfw ? worldFileTransform(tfw) : undefined) });
  }

  if (problems.length > 0) {
    problems.sort((a, b) => (a.path < b.path ? -1 : 1));
    const srsProblems = problems.filter((p) => p.problem.startsWith('EPSG:'));
    const summary =
      srsProblems.length === problems.length
        ? `${problems.length} file${problems.length > 1 ? 's are' : ' is'} not in EPSG:${epsg} (input 'srs'): ${list(problems.map((p) => `${p.path} (${p.problem.split(',')[0]})`))}; reproject them or set srs to their EPSG`
        : `${problems.length} file problem${problems.length > 1 ? 's' : ''}, nothing was sent: ${list(
            problems.map((p) => `${p.path}: ${p.problem}`),
            3,
          )}`;
    throw new FileError(problems, summary);
  }
  return { warnings };
}
