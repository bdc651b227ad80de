import { XMLParser } from 'fast-xml-parser';
import { create } from 'xmlbuilder2';
import type { XMLBuilder } from 'xmlbuilder2/lib/interfaces.js';

/**
 * What cartes.gouv.fr does to a record on every edit of its fiche (docs/catalogue.md, "What the
 * portal rewrites"): it parses the record into its form's fields (CswMetadataHelper::fromXml),
 * failing where it dereferences without a check, then renders its Twig template from those fields
 * alone: what it does not parse is dropped, `spatialRepresentationType` becomes `vector`, and the
 * dateStamp is read back. Written here from the sources, apart from the action's renderer, so that
 * a test of the round trip compares two independent writers.
 */

interface PortalFields {
  identifier: string;
  language: { code: string; name: string };
  charset: string;
  hierarchyLevel: string;
  title: string;
  creationDate: string;
  abstract: string;
  organisation: string;
  organisationEmail: string;
  inspireKeywords: string[];
  freeKeywords: string[];
  topics: string[];
  thumbnail?: { url: string; type: string };
  frequency: string;
  resolution?: string;
  bbox?: { west: string; east: string; south: string; north: string };
  contactEmail: string;
  dateStamp: string;
  genealogy: string;
  layers: Array<{ url: string; protocol: string; name: string; restricted: boolean }>;
}

const parser = new XMLParser({
  ignoreAttributes: false,
  removeNSPrefix: true,
  parseTagValue: false,
  isArray: (_name: string, _path: unknown, _leaf: boolean, isAttribute: boolean) => !isAttribute,
});
type Node = Record<string, unknown>;

function all(nodes: unknown[], ...steps: string[]): unknown[] {
  return steps.reduce<unknown[]>((current, step) => current.flatMap((n) => ((n as Node)?.[step] as unknown[]) ?? []), nodes);
}
function text(nodes: unknown[], ...steps: string[]): string {
  const [node] = all(nodes, ...steps);
  if (typeof node === 'string') return node;
  const value = (node as Node | undefined)?.['#text'];
  return Array.isArray(value) ? value.join('') : typeof value === 'string' ? value : '';
}
function attr(nodes: unknown[], name: string, ...steps: string[]): string | undefined {
  const [node] = all(nodes, ...steps);
  const value = (node as Node | undefined)?.[`@_${name}`];
  return typeof value === 'string' ? value : undefined;
}

/** The portal's parse; throws where the portal's own code would (a missing language, a partial bbox, no level). */
export function portalParse(xml: string): PortalFields {
  const root = all([parser.parse(xml)], 'MD_Metadata');
  const di = all(root, 'identificationInfo', 'MD_DataIdentification');
  const languageCode = attr(root, 'codeListValue', 'language', 'LanguageCode');
  const languageName = text(root, 'language', 'LanguageCode');
  if (!languageCode || !languageName) throw new Error('the portal cannot read gmd:language/gmd:LanguageCode');
  const level = attr(root, 'codeListValue', 'hierarchyLevel', 'MD_ScopeCode');
  if (level !== 'dataset' && level !== 'series') throw new Error('the portal cannot read the hierarchy level');
  const box = all(di, 'extent', 'EX_Extent', 'geographicElement', 'EX_GeographicBoundingBox');
  const bound = (name: string) => text(box, name, 'Decimal');
  if (box.length && ['westBoundLongitude', 'eastBoundLongitude', 'southBoundLatitude', 'northBoundLatitude'].some((b) => !bound(b)))
    throw new Error('the portal reads all four bounds');
  const keywords = all(di, 'descriptiveKeywords', 'MD_Keywords');
  const words = (blocks: unknown[]) => blocks.flatMap((b) => all([b], 'keyword').map((k) => text([k], 'CharacterString')));
  const mail = ['contactInfo', 'CI_Contact', 'address', 'CI_Address', 'electronicMailAddress', 'CharacterString'];
  const graphic = all(di, 'graphicOverview', 'MD_BrowseGraphic');
  const resources = all(
    root,
    'distributionInfo',
    'MD_Distribution',
    'transferOptions',
    'MD_DigitalTransferOptions',
    'onLine',
    'CI_OnlineResource',
  );
  return {
    identifier: text(root, 'fileIdentifier', 'CharacterString'),
    language: { code: languageCode, name: languageName },
    charset: attr(root, 'codeListValue', 'characterSet', 'MD_CharacterSetCode') ?? 'utf8',
    hierarchyLevel: level,
    title: text(di, 'citation', 'CI_Citation', 'title', 'CharacterString'),
    creationDate: text(di, 'citation', 'CI_Citation', 'date', 'CI_Date', 'date', 'Date'),
    abstract: text(di, 'abstract', 'CharacterString'),
    organisation: text(di, 'pointOfContact', 'CI_ResponsibleParty', 'organisationName', 'CharacterString'),
    organisationEmail: text(all(di, 'pointOfContact', 'CI_ResponsibleParty'), ...mail),
    inspireKeywords: words(keywords.filter((b) => all([b], 'thesaurusName').length)),
    freeKeywords: words(keywords.filter((b) => !all([b], 'thesaurusName').length)),
    topics: all(di, 'topicCategory', 'MD_TopicCategoryCode').map((t) => text([t])),
    thumbnail: graphic.length
      ? { url: text(graphic, 'fileName', 'CharacterString'), type: text(graphic, 'fileType', 'CharacterString') }
      : undefined,
    frequency:
      attr(
        di,
        'codeListValue',
        'resourceMaintenance',
        'MD_MaintenanceInformation',
        'maintenanceAndUpdateFrequency',
        'MD_MaintenanceFrequencyCode',
      ) ?? 'unknown',
    resolution:
      text(di, 'spatialResolution', 'MD_Resolution', 'equivalentScale', 'MD_RepresentativeFraction', 'denominator', 'Integer') || undefined,
    bbox: box.length
      ? {
          west: bound('westBoundLongitude'),
          east: bound('eastBoundLongitude'),
          south: bound('southBoundLatitude'),
          north: bound('northBoundLatitude'),
        }
      : undefined,
    contactEmail: text(all(root, 'contact', 'CI_ResponsibleParty'), ...mail),
    dateStamp: text(root, 'dateStamp', 'DateTime'),
    genealogy: text(root, 'dataQualityInfo', 'DQ_DataQuality', 'lineage', 'LI_Lineage', 'statement', 'CharacterString'),
    // An onLine with a protocol is a layer (recomputed by the portal from the tagged configurations: the same here).
    layers: resources
      .filter((r) => text([r], 'protocol', 'CharacterString'))
      .map((r) => ({
        url: text([r], 'linkage', 'URL'),
        protocol: text([r], 'protocol', 'CharacterString'),
        name: text([r], 'name', 'CharacterString'),
        restricted: all([r], 'description', 'Anchor').length > 0,
      })),
  };
}

const CL = 'http://standards.iso.org/ittf/PubliclyAvailableStandards/ISO_19139_Schemas/resources/codelist/ML_gmxCodelists.xml';
const CL2 = 'http://standards.iso.org/iso/19139/resources/gmxCodelists.xml';

/** The portal's template, from its fields only (metadata_dataset_iso.xml.twig's elements and order). */
export function portalRender(f: PortalFields): string {
  const doc = create({ version: '1.0', encoding: 'UTF-8' }).ele('http://www.isotc211.org/2005/gmd', 'gmd:MD_Metadata', {
    'xmlns:gco': 'http://www.isotc211.org/2005/gco',
    'xmlns:gmx': 'http://www.isotc211.org/2005/gmx',
    'xmlns:xlink': 'http://www.w3.org/1999/xlink',
    uuid: f.identifier,
  });
  const cs = (parent: XMLBuilder, value: string) => parent.ele('gco:CharacterString').txt(value);
  cs(doc.ele('gmd:fileIdentifier'), f.identifier);
  doc
    .ele('gmd:language')
    .ele('gmd:LanguageCode', { codeList: 'http://www.loc.gov/standards/iso639-2/', codeListValue: f.language.code })
    .txt(f.language.name);
  doc
    .ele('gmd:characterSet')
    .ele('gmd:MD_CharacterSetCode', { codeList: `${CL}#MD_CharacterSetCode`, codeListValue: f.charset })
    .txt(f.charset);
  doc
    .ele('gmd:hierarchyLevel')
    .ele('gmd:MD_ScopeCode', { codeList: `${CL}#MD_ScopeCode`, codeListValue: f.hierarchyLevel })
    .txt(f.hierarchyLevel);
  cs(doc.ele('gmd:hierarchyLevelName'), f.hierarchyLevel === 'series' ? 'Collection des données' : 'Jeu de données');
  const di = doc.ele('gmd:identificationInfo').ele('gmd:MD_DataIdentification');
  const citation = di.ele('gmd:citation').ele('gmd:CI_Citation');
  cs(citation.ele('gmd:title'), f.title);
  const date = citation.ele('gmd:date').ele('gmd:CI_Date');
  date.ele('gmd:date').ele('gco:Date').txt(f.creationDate);
  date
    .ele('gmd:dateType')
    .ele('gmd:CI_DateTypeCode', { codeList: `${CL}#CI_DateTypeCode`, codeListValue: 'creation' })
    .txt('creation');
  cs(di.ele('gmd:abstract'), f.abstract);
  const party = di.ele('gmd:pointOfContact').ele('gmd:CI_ResponsibleParty');
  cs(party.ele('gmd:organisationName'), f.organisation);
  const email = (p: XMLBuilder, value: string) =>
    cs(p.ele('gmd:contactInfo').ele('gmd:CI_Contact').ele('gmd:address').ele('gmd:CI_Address').ele('gmd:electronicMailAddress'), value);
  email(party, f.organisationEmail);
  if (f.inspireKeywords.length) {
    const block = di.ele('gmd:descriptiveKeywords').ele('gmd:MD_Keywords');
    for (const k of f.inspireKeywords) cs(block.ele('gmd:keyword'), k);
    const thesaurus = block.ele('gmd:thesaurusName').ele('gmd:CI_Citation');
    cs(thesaurus.ele('gmd:title'), 'GEMET - INSPIRE themes, version 1.0');
    const d = thesaurus.ele('gmd:date').ele('gmd:CI_Date');
    d.ele('gmd:date').ele('gco:Date').txt('2008-06-01');
    d.ele('gmd:dateType').ele('gmd:CI_DateTypeCode', { codeList: `${CL2}#CI_DateTypeCode`, codeListValue: 'publication' });
  }
  if (f.freeKeywords.length) {
    const block = di.ele('gmd:descriptiveKeywords').ele('gmd:MD_Keywords');
    for (const k of f.freeKeywords) cs(block.ele('gmd:keyword'), k);
    block
      .ele('gmd:type')
      .ele('gmd:MD_KeywordTypeCode', { codeList: `${CL}#MD_KeywordTypeCode`, codeListValue: 'theme' })
      .txt('theme');
  }
  for (const t of f.topics) di.ele('gmd:topicCategory').ele('gmd:MD_TopicCategoryCode').txt(t);
  if (f.thumbnail) {
    const g = di.ele('gmd:graphicOverview').ele('gmd:MD_BrowseGraphic');
    cs(g.ele('gmd:fileName'), f.thumbnail.url);
    cs(g.ele('gmd:fileDescription'), 'Aperçu');
    cs(g.ele('gmd:fileType'), f.thumbnail.type);
  }
  di.ele('gmd:resourceMaintenance')
    .ele('gmd:MD_MaintenanceInformation')
    .ele('gmd:maintenanceAndUpdateFrequency')
    .ele('gmd:MD_MaintenanceFrequencyCode', { codeList: `${CL2}#MD_MaintenanceFrequencyCode`, codeListValue: f.frequency });
  if (f.resolution)
    di.ele('gmd:spatialResolution')
      .ele('gmd:MD_Resolution')
      .ele('gmd:equivalentScale')
      .ele('gmd:MD_RepresentativeFraction')
      .ele('gmd:denominator')
      .ele('gco:Integer')
      .txt(f.resolution);
  if (f.bbox) {
    const box = di.ele('gmd:extent').ele('gmd:EX_Extent').ele('gmd:geographicElement').ele('gmd:EX_GeographicBoundingBox');
    box.ele('gmd:westBoundLongitude').ele('gco:Decimal').txt(f.bbox.west);
    box.ele('gmd:eastBoundLongitude').ele('gco:Decimal').txt(f.bbox.east);
    box.ele('gmd:southBoundLatitude').ele('gco:Decimal').txt(f.bbox.south);
    box.ele('gmd:northBoundLatitude').ele('gco:Decimal').txt(f.bbox.north);
  }
  // Hard-coded in the template, even for raster.
  di.ele('gmd:spatialRepresentationType').ele('gmd:MD_SpatialRepresentationTypeCode', {
    codeList: `${CL2}#MD_SpatialRepresentationTypeCode`,
    codeListValue: 'vector',
  });
  email(doc.ele('gmd:contact').ele('gmd:CI_ResponsibleParty'), f.contactEmail);
  doc.ele('gmd:dateStamp').ele('gco:DateTime').txt(f.dateStamp);
  cs(doc.ele('gmd:dataQualityInfo').ele('gmd:DQ_DataQuality').ele('gmd:lineage').ele('gmd:LI_Lineage').ele('gmd:statement'), f.genealogy);
  const options = doc
    .ele('gmd:distributionInfo')
    .ele('gmd:MD_Distribution')
    .ele('gmd:transferOptions')
    .ele('gmd:MD_DigitalTransferOptions');
  for (const layer of f.layers) {
    const r = options.ele('gmd:onLine', { type: 'offering' }).ele('gmd:CI_OnlineResource');
    r.ele('gmd:linkage').ele('gmd:URL').txt(layer.url);
    cs(r.ele('gmd:protocol'), layer.protocol);
    if (layer.restricted)
      r.ele('gmd:applicationProfile')
        .ele('gmx:Anchor', { 'xlink:href': 'http://inspire.ec.europa.eu/metadata-codelist/SpatialDataServiceType/other' })
        .txt('other');
    cs(r.ele('gmd:name'), layer.name);
    if (layer.restricted)
      r.ele('gmd:description')
        .ele('gmx:Anchor', { 'xlink:href': `${CL2}#MD_RestrictionCode_restricted` })
        .txt(`${layer.name} - Accès restreint`);
  }
  return doc.end({ prettyPrint: true });
}

/** A portal edit that changes nothing in the form: parse, render. */
export function portalEdit(xml: string): string {
  return portalRender(portalParse(xml));
}
