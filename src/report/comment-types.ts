/** The pull-request comment's view of the run (comment.ts makes it from the record; comment.ts and comment-map.ts render it). */

export interface CommentFile {
  /** Path in the repository. */
  path: string;
  remotePath: string;
  size: number;
  epsg?: number;
  /** WGS84 outline, when the raster's CRS is known. */
  ring?: Array<[number, number]>;
  /** What preflight says of it: a problem refuses it. */
  problem?: string;
  outcome: 'to send' | 'already there' | 'unchanged' | 'refused';
}

export interface CommentRecord {
  name: string;
  srs: string;
  /** False when the API was not consulted (a dry run without credentials). */
  apiConsulted: boolean;
  /** What the upload will be: `to be created`, or its id and status. */
  upload: string;
  verdict: { ok: boolean; message?: string };
  warnings: string[];
  files: CommentFile[];
  /** What the layer chain would do, e.g. `ortho_2024 would be updated (WMTS-TMS)`. */
  layer?: string;
  /** The live layer's extent [west, south, east, north], drawn beside the rasters. */
  currentExtent?: [number, number, number, number];
  /** What the merge would do to the fiche's metadata record, field by field. */
  metadata?: { fileIdentifier: string; verdict: string; changes: Array<{ field: string; before: string; after: string }> };
  runUrl?: string;
}
