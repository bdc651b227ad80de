import type { FieldChange, RecordFields } from './types.js';

/** How the log, the summary and the comment name a record's fields. */
const LABELS: Record<keyof RecordFields, string> = {
  fileIdentifier: 'identifier',
  title: 'title',
  abstract: 'abstract',
  creationDate: 'creation date',
  organisation: 'organisation',
  organisationEmail: "organisation's e-mail",
  contactEmail: 'contact e-mail',
  topicCategories: 'topic categories',
  inspireThemes: 'INSPIRE themes',
  keywords: 'keywords',
  maintenanceFrequency: 'maintenance frequency',
  lineage: 'lineage',
  language: 'language',
  level: 'level',
  scaleDenominator: 'scale denominator',
  extent: 'extent (W S E N)',
  thumbnail: 'thumbnail',
  services: 'services',
};

export function fieldLabel(field: FieldChange['field']): string {
  return field === 'other elements' ? field : LABELS[field];
}

/** The fields in the order people read a record. */
export const FIELD_ORDER = Object.keys(LABELS) as Array<keyof RecordFields>;

/** How a record's maintenance note names the commit the action wrote it from (record.ts writes it, fields.ts reads it). */
export const WRITTEN_FROM = 'Écrite par geoplateforme-publish-raster depuis le commit';
