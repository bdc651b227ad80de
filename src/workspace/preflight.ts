import path from 'node:path';
import { FileError, FormatError, isSystemError, list, type FileProblem } from '../shared/errors.js';
import { compareText, slashRelative } from '../shared/format.js';
import type { LocalFile } from './files.js';
import { forEachLimited } from '../shared/pool.js';
import { formatOfPath, readRasterHeader, readWorldFile, RASTER_EXTENSIONS } from './raster/index.js';
import { worldFileTransform, type WorldFile } from './raster/tfw.js';
import type { GeoTransform } from './raster/tiff.js';

export interface PreflightReport {
  warnings: string[];
}

/** Headers read at the same time: small reads, so a few more than the upload concurrency. */
const HEADER_READ_CONCURRENCY = 16;

/** What a raster's header says of where it lies: for the pull-request map. */
export interface RasterGeo {
  epsg?: number;
  width?: number;
  height?: number;
  transform?: GeoTransform;
}

/**
 * Checks every file as the platform would, reading headers only: supported format, non-empty,
 * unique base names, TIFF georeferencing or its world file, and each raster's EPSG against `srs`.
 * Throws a FileError listing every problem; returns the warnings.
 */
export async function preflight(
  files: LocalFile[],
  epsg: number,
  workspace = process.cwd(),
  onGeo?: (file: LocalFile, geo: RasterGeo) => void,
  /** Other matched files, checked apart (Git LFS pointers): they count for pairing a TIFF and its world file. */
  others: LocalFile[] = [],
): Promise<PreflightReport> {
  return new Preflight(files, epsg, workspace, onGeo, others).run();
}

class Preflight {
  private readonly problems: FileProblem[] = [];
  private readonly warnings: string[] = [];
  private readonly worldFiles = new Map<string, WorldFile>(); // stem (lower case) -> its world file
  private readonly tfwStems: Set<string>;

  constructor(
    private readonly files: LocalFile[],
    private readonly epsg: number,
    private readonly workspace: string,
    private readonly onGeo?: (file: LocalFile, geo: RasterGeo) => void,
    private readonly others: LocalFile[] = [],
  ) {
    this.tfwStems = new Set([...files, ...others].filter((f) => formatOfPath(f.localPath) === 'tfw').map(stemOf));
  }

  async run(): Promise<PreflightReport> {
    this.refuseUnsupported();
    this.checkNames();
    this.checkWorldFilePairs();
    await this.readHeaders();
    if (this.problems.length > 0) throw this.refusal();
    return { warnings: this.warnings };
  }

  /** Files are named by their path in the repository, as an annotation's `file=` wants them. */
  private shown(file: LocalFile): string {
    return slashRelative(this.workspace, file.localPath);
  }

  private refuseUnsupported(): void {
    const unsupported = this.files.filter((f) => formatOfPath(f.localPath) === undefined);
    if (unsupported.length === 0) return;
    throw new FileError(
      unsupported.map((f) => ({ kind: 'unsupported', paths: [this.shown(f)], problem: 'unsupported extension' })),
      `Unsupported file${unsupported.length > 1 ? 's' : ''} ${list(unsupported.map((f) => this.shown(f)))}: a RASTER upload takes ${Object.keys(RASTER_EXTENSIONS).join(', ')} only; narrow 'glob', e.g. rasters/**/*.tif`,
    );
  }

  /** Empty files, names the platform ignores, and base names that two folders share. */
  private checkNames(): void {
    // Kept small whatever the number of files: one entry a base name, and lists only for the clashes.
    const firstWithBase = new Map<string, LocalFile>();
    const clashes = new Map<string, LocalFile[]>();
    for (const file of this.files) {
      const base = path.posix.basename(file.relativePath);
      const first = firstWithBase.get(base);
      if (first === undefined) firstWithBase.set(base, file);
      else clashes.set(base, [...(clashes.get(base) ?? [first]), file]);
      if (base.startsWith('__')) this.warnings.push(`${this.shown(file)}: the platform ignores files whose name starts with '__'`);
      if (file.size === 0) this.problems.push({ kind: 'empty', paths: [this.shown(file)], problem: 'empty file' });
    }
    for (const [base, same] of clashes)
      this.problems.push({
        kind: 'name-clash',
        paths: same.map((f) => this.shown(f)).sort(),
        problem: `same base name '${base}' in two folders (the archive check refuses it, and a processing may not tell them apart); rename one`,
      });
  }

  /** A world file pairs with the TIFF of the same folder and name, whatever the case. */
  private checkWorldFilePairs(): void {
    if (this.tfwStems.size === 0) return;
    const tiffStems = new Set([...this.files, ...this.others].filter((f) => formatOfPath(f.localPath) === 'tiff').map(stemOf));
    for (const tfw of this.files.filter((f) => f.size > 0 && formatOfPath(f.localPath) === 'tfw'))
      if (!tiffStems.has(stemOf(tfw)))
        this.problems.push({
          kind: 'world-file',
          paths: [this.shown(tfw)],
          problem: 'world file without its TIFF (same folder and name, .tif)',
        });
  }

  /** Every header, world files first: a TIFF without its own georeferencing takes its world file's. */
  private async readHeaders(): Promise<void> {
    const nonEmpty = this.files.filter((f) => f.size > 0);
    const tfws = nonEmpty.filter((f) => formatOfPath(f.localPath) === 'tfw');
    const rasters = nonEmpty.filter((f) => formatOfPath(f.localPath) !== 'tfw');
    const geo: Array<[LocalFile, RasterGeo]> = [];
    await forEachLimited([...tfws, ...rasters], HEADER_READ_CONCURRENCY, async (file) => {
      try {
        if (formatOfPath(file.localPath) === 'tfw') this.worldFiles.set(stemOf(file), await readWorldFile(file.localPath));
        else {
          const found = await this.checkRaster(file);
          if (this.onGeo) geo.push([file, found]);
        }
      } catch (error) {
        // The file's fault (its format, or the disk's answer); anything else is a bug, and says so.
        if (!(error instanceof FormatError) && !isSystemError(error)) throw error;
        this.problems.push({ kind: 'unreadable', paths: [this.shown(file)], problem: `unreadable: ${error.message}` });
      }
    });
    for (const [file, found] of geo) {
      const tfw = this.worldFiles.get(stemOf(file));
      const transform = found.transform ?? (tfw ? worldFileTransform(tfw) : undefined);
      this.onGeo?.(file, { ...found, epsg: found.epsg ?? this.epsg, transform });
    }
  }

  /** A raster's EPSG against `srs`, and its georeferencing; what its header says of where it lies. */
  private async checkRaster(file: LocalFile): Promise<RasterGeo> {
    const header = await readRasterHeader(file.localPath, formatOfPath(file.localPath) === 'jp2' ? 'jp2' : 'tiff', file.size);
    if (header.epsg !== undefined && header.epsg !== this.epsg)
      this.problems.push({ kind: 'srs', paths: [this.shown(file)], problem: `EPSG:${header.epsg}, not EPSG:${this.epsg}` });
    else if (header.userDefinedCrs)
      this.warnings.push(`${this.shown(file)}: its CRS has no EPSG code, so it cannot be compared with EPSG:${this.epsg}`);
    else if (header.format === 'tiff' && !header.georeferenced && !this.tfwStems.has(stemOf(file)))
      this.problems.push({
        kind: 'no-georeferencing',
        paths: [this.shown(file)],
        problem: 'TIFF with no georeferencing and no .tfw world file beside it',
      });
    return { epsg: header.epsg, width: header.width, height: header.height, transform: header.transform };
  }

  /** One error for every problem, in path order, said in one line. */
  private refusal(): FileError {
    const { problems, epsg } = this;
    // Whatever order the reads ended in, the same files give the same message.
    problems.sort((a, b) => compareText(a.paths[0], b.paths[0]) || compareText(a.problem, b.problem));
    const named = (p: FileProblem) => p.paths.join(' and ');
    const srsOnly = problems.every((p) => p.kind === 'srs');
    const summary = srsOnly
      ? `${problems.length} file${problems.length > 1 ? 's are' : ' is'} not in EPSG:${epsg} (input 'srs'): ${list(problems.map((p) => `${named(p)} (${p.problem.split(',')[0]})`))}; reproject them or set srs to their EPSG`
      : `${problems.length} file problem${problems.length > 1 ? 's' : ''}, nothing was sent: ${list(
          problems.map((p) => `${named(p)}: ${p.problem}`),
          3,
        )}`;
    return new FileError(problems, summary);
  }
}

/** A file's path without its extension, in lower case: how a TIFF and its world file pair. */
function stemOf(file: LocalFile): string {
  return file.relativePath.replace(/\.[^./]+$/, '').toLowerCase();
}
