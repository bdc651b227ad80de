import type { Config } from '../config/types.js';
import { InputError, list } from '../shared/errors.js';
import { formatBytes } from '../shared/format.js';
import { findFiles, totalBytes, type FileSet, type LocalFile } from './files.js';
import { fetchContent, splitPointers } from './lfs.js';
import { preflight, type RasterGeo } from './preflight.js';

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
}

/** The matched files, checked; undefined when there are none to publish (an error, a warning or a line, per input). */
export async function readWorkspace(options: WorkspaceOptions, notes: WorkspaceNotes): Promise<LocalFiles | undefined> {
  const fileSet = await matchFiles(options, notes);
  if (!fileSet) return undefined;
  const pointers = await checkLocally(options, fileSet, notes);
  // A Git LFS pointer stands for its content, of the size it states, until that content is read.
  const stated = new Map(pointers.map((f) => [f.remotePath, f]));
  const matched: FileSet = { ...fileSet, files: fileSet.files.map((f) => stated.get(f.remotePath) ?? f) };
  if (pointers.length) notes.files(matched.files);
  const pointed = new Set(stated.keys());
  return {
    fileSet: matched,
    withContent: (files) => fetchPointed(options, files, pointed, notes),
    unread: (files) => files.filter((f) => pointed.has(f.remotePath)).length,
  };
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
async function checkLocally(options: WorkspaceOptions, fileSet: FileSet, notes: WorkspaceNotes): Promise<LocalFile[]> {
  // proj4 is loaded only for the map of a pull-request comment.
  const footprint = options.footprints ? (await import('./footprint.js')).footprint : undefined;
  const { pointers, contents } = await splitPointers(fileSet.files);
  const onGeo = footprint
    ? (file: LocalFile, geo: RasterGeo) =>
        notes.place(
          file,
          geo.epsg,
          geo.epsg && geo.transform && geo.width && geo.height ? footprint(geo.epsg, geo.transform, geo.width, geo.height) : undefined,
        )
    : undefined;
  const checked = await preflight(contents, options.epsg, options.workspace, onGeo, pointers);
  for (const warning of checked.warnings) notes.warning(warning);
  notes.log(`${fileSet.files.length} file(s), ${formatBytes(totalBytes(fileSet.files))}, checked against ${options.srs}`);
  if (pointers.length)
    notes.log(`${pointers.length} file(s) are Git LFS pointers (checked out without their content): only those sent get their content`);
  return pointers;
}

/** The pointers among `files` fetched alone (git lfs pull), then checked as the others were before anything was sent. */
async function fetchPointed(
  options: WorkspaceOptions,
  files: LocalFile[],
  pointed: Set<string>,
  notes: WorkspaceNotes,
): Promise<LocalFile[]> {
  const toFetch = files.filter((f) => pointed.has(f.remotePath));
  if (toFetch.length === 0) return files;
  const others = files.filter((f) => !pointed.has(f.remotePath));
  notes.log(`Fetching the Git LFS content of ${toFetch.length} file(s) (git lfs pull)`);
  const fetched = await fetchContent(options.workspace, toFetch, options.signal);
  for (const f of fetched) pointed.delete(f.remotePath);
  for (const warning of (await preflight(fetched, options.epsg, options.workspace, undefined, others)).warnings) notes.warning(warning);
  const byPath = new Map(fetched.map((f) => [f.remotePath, f]));
  return files.map((f) => byPath.get(f.remotePath) ?? f);
}
