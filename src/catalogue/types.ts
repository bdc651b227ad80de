/** What the catalogue stage takes, decides and returns (catalogue.ts drives it; docs/catalogue.md). */

/** The record's description as the repository's YAML gives it, checked. */
export interface RecordDescription {
  title: string;
  abstract: string;
  /** The file identifier without the datastore's prefix; the layer name when the YAML gives none. */
  identifier?: string;
  organisation: { name: string; email: string };
  contactEmail: string;
  topicCategories: string[];
  inspireThemes: string[];
  keywords: string[];
  /** YYYY-MM-DD. */
  creationDate: string;
  maintenanceFrequency: string;
  lineage?: string;
  /** ISO 639-2/B code. */
  language: string;
  level: 'dataset' | 'series';
  /** A scale denominator; computed from the rasters' pixel size when absent. */
  scaleDenominator?: number;
  inspire: boolean;
  openData: boolean;
  producer?: string;
  productionYear?: string;
}

/** The record's source: a description the action renders, or the user's own XML sent as is. */
export type RecordSource =
  | { kind: 'yaml'; path: string; description: RecordDescription }
  | { kind: 'xml'; path: string; xml: string; fileIdentifier: string; inspire: boolean; openData: boolean };

/** One service of the layer, as the record's online resources name it. */
export interface RecordService {
  protocol: 'OGC:WMTS' | 'OGC:WMS';
  /** The endpoint's URL (not a GetMap template). */
  url: string;
  layerName: string;
  open: boolean;
}

/** What the record says, read from any ISO 19139 file: what the action writes, and what the diff shows. */
export interface RecordFields {
  fileIdentifier: string;
  title: string;
  abstract: string;
  creationDate: string;
  organisation: string;
  organisationEmail: string;
  contactEmail: string;
  topicCategories: string[];
  inspireThemes: string[];
  keywords: string[];
  maintenanceFrequency: string;
  lineage: string;
  language: string;
  level: string;
  scaleDenominator: string;
  /** "west south east north". */
  extent: string;
  thumbnail: string;
  services: string[];
}

/** One field of the record that a run changes (or would). */
export interface FieldChange {
  field: keyof RecordFields | 'other elements';
  before: string;
  after: string;
}

/** What the run did to the record, or would do in a dry run. */
export interface CatalogueReport {
  fileIdentifier: string;
  metadataId?: string;
  verdict: 'created' | 'replaced' | 'unchanged' | 'would create' | 'would replace' | 'would leave unchanged';
  changes: FieldChange[];
  published: boolean;
  /** The catalogue's page of the record, and its CSW GetRecordById. */
  catalogueUrl: string;
  cswUrl?: string;
  thumbnail?: { url: string; verdict: 'created' | 'kept' | 'replaced' | 'none'; why?: string };
}

export type CatalogueEvent = { type: 'catalogue'; report: CatalogueReport } | { type: 'info' | 'warning'; message: string };
