import type { Config } from '../config/types.js';
import { InputError, list } from '../shared/errors.js';
import { formatBytes } from '../shared/format.js';
import { findFiles, totalBytes, type FileSet, type LocalFile } from './files.js';
import { fetchContent, splitPointers } from './lfs.js';
import { preflight, type RasterGeo } from './preflight.js';
import { formatOfPath } from './raster/index.js';

/**
 * The workspace stage: the files the patterns match, checked before anything is sent (what the
 * platform would refuse), and for a pull-request comment where each raster lies. Git LFS pointers
 * stand for their content, at the size they state, until it is read: only those to be sent or
 * hashed get it (`withContent`), then the same checks.
 */

/** What the stage tells the report as it goes (the Reporter is one). */
export interface WorkspaceNotes {
  files(files: LocalFile[]): void;
  place(file: LocalFile, epsg?: number, ring?: Array<[number, number]>): void;
  log(message: string): void;
  warning(message: string): void;
  notice(message: string): void;
}

export type WorkspaceOptions = Pick<Config, 'patterns' | 'shard' | 'epsg' | 'srs' | 'ifNoFilesFound'> & {
  workspace: string;
  /** Where each raster lies, for the pull-request comment's map (loads proj4). */
  footprints: boolean;
  /** The run's cancellation: a git call in flight is killed. */
  signal?: AbortSignal;
};

/** The matched files, checked. */
export interface LocalFiles {
  fileSet: FileSet;
  /** Gives the Git LFS pointers among `files` their content, checked; the others as they are. */
  withContent: (files: LocalFile[]) => Promise<LocalFile[]>;
  /** How many of `files` are Git LFS pointers whose content was not read. */
  unread: (files: LocalFile[]) => number;
  /** Where the rasters lie and their finest pixel, from the headers read (with `footprints`). */
  ground: () => GroundSummary;
}

/** The rasters' ground, for the metadata record: what the headers read say of it. */
export interface GroundSummary {
  /** [west, south, east, north] in WGS84 degrees, the union of the footprints known. */
  extent?: [number, number, number, number];
  /** How many rasters (world files aside) have no footprint: a pointer not read, an unknown CRS. */
  unplaced: number;
  /** The finest pixel, in metres on the ground. */
  pixelMetres?: number;
}

/** The matched files, checked; undefined when there are none to publish (an error, a warning or a line, per input). */
export async function readWorkspace(options: WorkspaceOptions, notes: WorkspaceNotes): Promise<LocalFiles | undefined> {
  const fileSet = await matchFiles(options, notes);
  if (!fileSet) return undefined;
  const places = new Map<string, Place>();
  const pointers = await checkLocally(options, fileSet, notes, places);
  // A Git LFS pointer stands for its content, of the size it states, until that content is read.
  const stated = new Map(pointers.map((f) => [f.remotePath, f]));
  const matched: FileSet = { ...fileSet, files: fileSet.files.map((f) => stated.get(f.remotePath) ?? f) };
  if (pointers.length) notes.files(matched.files);
  const pointed = new Set(stated.keys());
  return {
    fileSet: matched,
    withContent: (files) => fetchPointed(options, files, pointed, notes, places),
    unread: (files) => files.filter((f) => pointed.has(f.remotePath)).length,
    ground: () => summarise(fileSet.files, places),
  };
}

interface Place {
  ring?: Array<[number, number]>;
  pixelMetres?: number;
}

/** Metres in a degree at the equator: a raster in degrees has its pixel said in metres so. */
const METRES_PER_DEGREE = 111_319.49;

function summarise(files: LocalFile[], places: Map<string, Place>): GroundSummary {
  const rasters = files.filter((f) => formatOfPath(f.remotePath) !== 'tfw');
  let extent: [number, number, number, number] | undefined;
  let pixelMetres: number | undefined;
  let unplaced = 0;
  for (const file of rasters) {
    const place = places.get(file.remotePath);
    if (place?.pixelMetres) pixelMetres = Math.min(pixelMetres ?? Infinity, place.pixelMetres);
    if (!place?.ring?.length) {
      unplaced++;
      continue;
    }
    for (const [lon, lat] of place.ring)
      extent = extent
        ? [Math.min(extent[0], lon), Math.min(extent[1], lat), Math.max(extent[2], lon), Math.max(extent[3], lat)]
        : [lon, lat, lon, lat];
  }
  return { extent, unplaced, pixelMetres };
}

async function matchFiles(options: WorkspaceOptions, notes: WorkspaceNotes): Promise<FileSet | undefined> {
  const { patterns, workspace, shard } = options;
  const fileSet = await findFiles(patterns, workspace, shard);
  notes.files(fileSet.files);
  if (fileSet.sideFiles.length)
    notes.notice(
      `Left out ${fileSet.sideFiles.length} file(s) that GDAL writes beside rasters, which the platform does not take: ${list(fileSet.sideFiles)}`,
    );
  if (fileSet.files.length > 0) return fileSet;
  if (options.ifNoFilesFound === 'error' && fileSet.matched === 0)
    throw new InputError(
      'glob',
      `matched no file under ${workspace}; check the patterns, for example glob: rasters/**/*.tif (or set if-no-files-found: warn)`,
    );
  const inShard = shard ? ` in shard ${shard.index}/${shard.count} of ${fileSet.matched} files` : '';
  const message = `No file matched input 'glob' (${patterns.join(', ')}) under ${workspace}${inShard}`;
  if (options.ifNoFilesFound !== 'ignore') notes.warning(message);
  else notes.log(message);
  return undefined;
}

/** What the platform would refuse, found before anything is sent; the pointers, left for later. */
async function checkLocally(
  options: WorkspaceOptions,
  fileSet: FileSet,
  notes: WorkspaceNotes,
  places: Map<string, Place>,
): Promise<LocalFile[]> {
  const { pointers, contents } = await splitPointers(fileSet.files);
  const onGeo = await placing(options, notes, places);
  const checked = await preflight(contents, options.epsg, options.workspace, onGeo, pointers);
  for (const warning of checked.warnings) notes.warning(warning);
  notes.log(`${fileSet.files.length} file(s), ${formatBytes(totalBytes(fileSet.files))}, checked against ${options.srs}`);
  if (pointers.length)
    notes.log(`${pointers.length} file(s) are Git LFS pointers (checked out without their content): only those sent get their content`);
  return pointers;
}

/** Where each raster lies and its pixel's size, noted as its header is read (proj4 is loaded only then). */
async function placing(options: WorkspaceOptions, notes: WorkspaceNotes, places: Map<string, Place>) {
  if (!options.footprints) return undefined;
  const footprint = (await import('./footprint.js')).footprint;
  return (file: LocalFile, geo: RasterGeo) => {
    const ring =
      geo.epsg && geo.transform && geo.width && geo.height ? footprint(geo.epsg, geo.transform, geo.width, geo.height) : undefined;
    const size = geo.transform ? Math.abs(geo.transform[1]) : undefined;
    const degrees = geo.epsg === 4326 || geo.epsg === 4171;
    places.set(file.remotePath, { ring, pixelMetres: size ? (degrees ? size * METRES_PER_DEGREE : size) : undefined });
    notes.place(file, geo.epsg, ring);
  };
}

/** The pointers among `files` fetched alone (git lfs pull), then checked as the others were before anything was sent. */
async function fetchPointed(
  options: WorkspaceOptions,
  files: LocalFile[],
  pointed: Set<string>,
  notes: WorkspaceNotes,
  places: Map<string, Place>,
): Promise<LocalFile[]> {
  const toFetch = files.filter((f) => pointed.has(f.remotePath));
  if (toFetch.length === 0) return files;
  const others = files.filter((f) => !pointed.has(f.remotePath));
  notes.log(`Fetching the Git LFS content of ${toFetch.length} file(s) (git lfs pull)`);
  const fetched = await fetchContent(options.workspace, toFetch, options.signal);
  for (const f of fetched) pointed.delete(f.remotePath);
  const onGeo = await placing(options, notes, places);
  for (const warning of (await preflight(fetched, options.epsg, options.workspace, onGeo, others)).warnings) notes.warning(warning);
  const byPath = new Map(fetched.map((f) => [f.remotePath, f]));
  return files.map((f) => byPath.get(f.remotePath) ?? f);
}
