/**
 * The layer routes' state and fixed facts (docs/api.md, "Layers"): the processings a datastore
 * sees, the raster→pyramid processing's published parameters, tile matrix sets, endpoints, and
 * the records of executions, stored data, configurations and offerings.
 */

export const PYRAMID_PROCESSING = {
  _id: '0e5c1d2a-7b3f-4c8e-9a61-emulated0pyr',
  name: 'Calcul de pyramide raster',
  description: 'Calcule une pyramide raster à partir de livraisons RASTER',
};
export const OTHER_PROCESSING = {
  _id: '4d7a9b10-2c3e-4f50-8a61-emulated0vec',
  name: 'Intégration de données vecteur livrées en base',
  description: '',
};

export const TMS_LEVELS: Record<string, { srs: string; levels: string[] }> = {
  PM: { srs: 'EPSG:3857', levels: Array.from({ length: 22 }, (_, i) => String(i)) },
  '4326': { srs: 'EPSG:4326', levels: Array.from({ length: 22 }, (_, i) => String(i)) },
  LAMB93_10cm: { srs: 'IGNF:LAMB93', levels: Array.from({ length: 22 }, (_, i) => String(i)) },
  LAMB93_50cm: { srs: 'IGNF:LAMB93', levels: Array.from({ length: 20 }, (_, i) => String(i)) },
};

/** The processing's published parameter list (the newer copy of the docs: DOC-MNT). */
export const PYRAMID_PARAMETERS = [
  {
    name: 'tms',
    description: 'TMS de la pyramide',
    mandatory: false,
    constraints: { type: 'string', enum: ['PM', '4326', 'LAMB93_10cm', 'LAMB93_50cm'] },
  },
  {
    name: 'compression',
    description: 'Compression des dalles',
    mandatory: false,
    constraints: { type: 'string', enum: ['jpg', 'png', 'zip', 'jpg90'] },
  },
  {
    name: 'interpolation',
    description: 'Interpolation',
    mandatory: false,
    default_value: 'bicubic',
    constraints: { type: 'string', enum: ['nn', 'linear', 'bicubic'] },
  },
  { name: 'bottom', description: 'Niveau du bas', mandatory: false, constraints: { type: 'string' } },
  { name: 'top', description: 'Niveau du haut', mandatory: false, constraints: { type: 'string' } },
  { name: 'mask', description: 'Masques', mandatory: false, default_value: false, constraints: { type: 'boolean' } },
  {
    name: 'parallelization',
    description: 'Parallélisation',
    mandatory: false,
    default_value: 1,
    constraints: { type: 'integer', minimum: 1, maximum: 4 },
  },
];

export type ExecutionStatus = 'CREATED' | 'WAITING' | 'PROGRESS' | 'SUCCESS' | 'FAILURE' | 'ABORTED';
export type StoredDataStatus = 'CREATED' | 'GENERATING' | 'GENERATED' | 'UNSTABLE' | 'DELETED';

export interface StoredDataRecord {
  _id: string;
  name: string;
  type: 'ROK4-PYRAMID-RASTER';
  status: StoredDataStatus;
  srs?: string;
  size: number;
  tags: Record<string, string>;
  type_infos?: Record<string, unknown>;
  extent?: unknown;
  creation: string;
  /** Pyramids this one references (an update "au fur et à mesure"): they cannot be deleted while it lives. */
  references: string[];
}

export interface ProcessingExecutionRecord {
  _id: string;
  status: ExecutionStatus;
  uploadId: string;
  storedDataId: string;
  parameters: Record<string, unknown>;
  creation: string;
  launch?: string;
  start?: string;
  finish?: string;
  logs: string[];
}

export interface ConfigurationRecord {
  _id: string;
  type: 'WMTS-TMS' | 'WMS-RASTER';
  name: string;
  layer_name: string;
  status: 'UNPUBLISHED' | 'PUBLISHED' | 'SYNCHRONIZING';
  type_infos: {
    title: string;
    abstract: string;
    used_data: Array<{ stored_data: string; bottom_level: string; top_level: string }>;
  } & Record<string, unknown>;
  tags: Record<string, string>;
  /** Links to the layer's metadata (entrepot-api-catalogue.md §4), kept verbatim across PUTs. */
  metadata?: Array<{ format: string; url: string; type: string }>;
  /** Attribution, kept verbatim. */
  attribution?: unknown;
  creation: string;
  /** Changes on every PUT (§12.9). */
  update?: string;
}

export interface OfferingRecord {
  _id: string;
  configurationId: string;
  endpointId: string;
  open: boolean;
  status: 'PUBLISHING' | 'MODIFYING' | 'PUBLISHED' | 'UNPUBLISHING' | 'UNSTABLE';
  creation: string;
  /** Changes on every PUT of the offering (a sync): what shows that a sync took effect (§12.9). */
  update: string;
}

export interface Endpoint {
  _id: string;
  name: string;
  technical_name: string;
  type: 'WMTS-TMS' | 'WMS-RASTER';
  open: boolean;
  quota: number;
}

/** The datastore's four endpoints: WMTS-TMS and WMS-RASTER, open and private. Not production's ids. */
export const DEFAULT_ENDPOINTS: Endpoint[] = [
  {
    _id: '9a1b2c3d-0000-4000-8000-emulwmtsopen',
    name: 'WMTS-TMS ouvert',
    technical_name: 'gpf-wmts-tms',
    type: 'WMTS-TMS',
    open: true,
    quota: 100,
  },
  {
    _id: '9a1b2c3d-0000-4000-8000-emulwmtspriv',
    name: 'WMTS-TMS privé',
    technical_name: 'gpf-wmts-tms-private',
    type: 'WMTS-TMS',
    open: false,
    quota: 100,
  },
  {
    _id: '9a1b2c3d-0000-4000-8000-emulwmsropen',
    name: 'WMS-Raster ouvert',
    technical_name: 'gpf-wms-r',
    type: 'WMS-RASTER',
    open: true,
    quota: 100,
  },
  {
    _id: '9a1b2c3d-0000-4000-8000-emulwmsrpriv',
    name: 'WMS-Raster privé',
    technical_name: 'gpf-wms-r-private',
    type: 'WMS-RASTER',
    open: false,
    quota: 100,
  },
];
