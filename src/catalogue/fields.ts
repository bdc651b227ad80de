import { XMLParser } from 'fast-xml-parser';
import { FIELD_ORDER, WRITTEN_FROM } from './labels.js';
import type { FieldChange, RecordFields } from './types.js';

/**
 * A record read back into the fields people know it by (title, abstract, extent, services…), from
 * any ISO 19139 file whatever its prefixes: to compare the server's record with the one asked on
 * content rather than bytes, and to say what a merge changes field by field, never as an XML diff.
 */

const parser = new XMLParser({
  ignoreAttributes: false,
  removeNSPrefix: true,
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  isArray: (_name: string, _path: unknown, _leaf: boolean, isAttribute: boolean) => !isAttribute,
});

type Node = Record<string, unknown>;

/** Every node at `steps` under `nodes` (each step may repeat). */
function at(nodes: unknown[], ...steps: string[]): unknown[] {
  let current = nodes;
  for (const step of steps)
    current = current.flatMap((node) => (node && typeof node === 'object' ? (((node as Node)[step] as unknown[] | undefined) ?? []) : []));
  return current;
}

function textOf(node: unknown): string {
  if (typeof node === 'string') return node;
  if (!node || typeof node !== 'object') return '';
  const value = (node as Node)['#text'];
  const parts: unknown[] = Array.isArray(value) ? value : [value];
  return parts.map((part) => (typeof part === 'string' || typeof part === 'number' ? String(part) : '')).join('');
}

function texts(nodes: unknown[], ...steps: string[]): string[] {
  return at(nodes, ...steps)
    .map(textOf)
    .filter((t) => t !== '');
}

function first(nodes: unknown[], ...steps: string[]): string {
  return texts(nodes, ...steps)[0] ?? '';
}

function attribute(nodes: unknown[], name: string, ...steps: string[]): string {
  const [node] = at(nodes, ...steps);
  const value = node && typeof node === 'object' ? (node as Node)[`@_${name}`] : undefined;
  return typeof value === 'string' ? value : '';
}

/** The record's fields; a file that is not a record gives empty ones. */
export function readFields(xml: string): RecordFields {
  const root = at([parser.parse(xml) as unknown], 'MD_Metadata');
  const di = at(root, 'identificationInfo', 'MD_DataIdentification');
  const citation = at(di, 'citation', 'CI_Citation');
  const party = at(di, 'pointOfContact', 'CI_ResponsibleParty');
  const mail = ['contactInfo', 'CI_Contact', 'address', 'CI_Address', 'electronicMailAddress', 'CharacterString'];
  const keywordBlocks = at(di, 'descriptiveKeywords', 'MD_Keywords');
  const thesaurus = keywordBlocks.filter((block) => at([block], 'thesaurusName').length > 0);
  const free = keywordBlocks.filter((block) => at([block], 'thesaurusName').length === 0);
  const box = at(di, 'extent', 'EX_Extent', 'geographicElement', 'EX_GeographicBoundingBox');
  const bound = (name: string) => first(box, name, 'Decimal');
  const extent = box.length
    ? [bound('westBoundLongitude'), bound('southBoundLatitude'), bound('eastBoundLongitude'), bound('northBoundLatitude')]
    : [];
  return {
    fileIdentifier: first(root, 'fileIdentifier', 'CharacterString'),
    title: first(citation, 'title', 'CharacterString'),
    abstract: first(di, 'abstract', 'CharacterString'),
    creationDate: first(citation, 'date', 'CI_Date', 'date', 'Date'),
    organisation: first(party, 'organisationName', 'CharacterString'),
    organisationEmail: first(party, ...mail),
    contactEmail: first(at(root, 'contact', 'CI_ResponsibleParty'), ...mail),
    topicCategories: texts(di, 'topicCategory', 'MD_TopicCategoryCode'),
    inspireThemes: texts(thesaurus, 'keyword', 'CharacterString'),
    keywords: texts(free, 'keyword', 'CharacterString'),
    maintenanceFrequency: attribute(
      di,
      'codeListValue',
      'resourceMaintenance',
      'MD_MaintenanceInformation',
      'maintenanceAndUpdateFrequency',
      'MD_MaintenanceFrequencyCode',
    ),
    lineage: first(root, 'dataQualityInfo', 'DQ_DataQuality', 'lineage', 'LI_Lineage', 'statement', 'CharacterString'),
    language: attribute(root, 'codeListValue', 'language', 'LanguageCode'),
    level: attribute(root, 'codeListValue', 'hierarchyLevel', 'MD_ScopeCode'),
    scaleDenominator: first(
      di,
      'spatialResolution',
      'MD_Resolution',
      'equivalentScale',
      'MD_RepresentativeFraction',
      'denominator',
      'Integer',
    ),
    extent: extent.join(' '),
    thumbnail: first(di, 'graphicOverview', 'MD_BrowseGraphic', 'fileName', 'CharacterString'),
    services: servicesOf(root),
  };
}

/** Each online resource as one line: protocol, layer name, URL, and whether access is restricted. */
function servicesOf(root: unknown[]): string[] {
  const resources = at(
    root,
    'distributionInfo',
    'MD_Distribution',
    'transferOptions',
    'MD_DigitalTransferOptions',
    'onLine',
    'CI_OnlineResource',
  );
  return resources.map((resource) => {
    const restricted = at([resource], 'description', 'Anchor').length > 0 ? ' (restricted)' : '';
    return `${first([resource], 'protocol', 'CharacterString')} ${first([resource], 'name', 'CharacterString')} ${first([resource], 'linkage', 'URL')}${restricted}`;
  });
}

/** The commit the action wrote the record from, as its maintenance note says (record.ts); undefined for any other record. */
export function writtenFrom(xml: string): string | undefined {
  const root = at([parser.parse(xml) as unknown], 'MD_Metadata');
  const notes = texts(root, 'metadataMaintenance', 'MD_MaintenanceInformation', 'maintenanceNote', 'CharacterString');
  for (const note of notes) {
    const match = new RegExp(`^${WRITTEN_FROM} ([0-9a-f]{40}|[0-9a-f]{64})$`).exec(note.trim());
    if (match) return match[1];
  }
  return undefined;
}

/**
 * The whole document as comparable data: element order, attributes and text, whitespace between
 * elements, the `dateStamp` (when it was written) and the metadata's maintenance (which commit wrote it) left out. Two files equal here hold the same record.
 */
export function contentOf(xml: string): string {
  const ordered = new XMLParser({
    ignoreAttributes: false,
    removeNSPrefix: true,
    preserveOrder: true,
    trimValues: true,
    parseTagValue: false,
  });
  const strip = (nodes: unknown[]): unknown[] =>
    nodes
      .filter((node) => !(node && typeof node === 'object' && ('dateStamp' in node || 'metadataMaintenance' in node || '?xml' in node)))
      .map((node) => {
        if (!node || typeof node !== 'object') return node;
        const entries = Object.entries(node as Node).map(([key, value]): [string, unknown] => [
          key,
          Array.isArray(value) ? strip(value as unknown[]) : key === ':@' ? withoutNamespaces(value as Node) : value,
        ]);
        return Object.fromEntries(entries);
      });
  const parsed: unknown = ordered.parse(xml);
  return JSON.stringify(strip(Array.isArray(parsed) ? parsed : []));
}

function withoutNamespaces(attributes: Node): Node {
  return Object.fromEntries(
    Object.entries(attributes)
      .filter(([key]) => !/^@_xmlns/.test(key))
      .sort(([a], [b]) => a.localeCompare(b)),
  );
}

/** What differs, field by field; `other elements` when the files differ where no field shows it. */
export function fieldChanges(before: string | undefined, after: string): FieldChange[] {
  const old = before === undefined ? undefined : readFields(before);
  const now = readFields(after);
  const shown = (value: string | string[]) => (Array.isArray(value) ? value.join('; ') : value);
  const changes: FieldChange[] = [];
  for (const key of FIELD_ORDER) {
    const was = old ? shown(old[key]) : '';
    const will = shown(now[key]);
    if (was !== will) changes.push({ field: key, before: was, after: will });
  }
  if (before !== undefined && changes.length === 0 && contentOf(before) !== contentOf(after))
    changes.push({ field: 'other elements', before: 'as the datastore holds them', after: 'as the repository gives them' });
  return changes;
}
