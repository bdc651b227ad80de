import { create } from 'xmlbuilder2';
import type { XMLBuilder } from 'xmlbuilder2/lib/interfaces.js';
import { WRITTEN_FROM } from './labels.js';
import type { RecordDescription, RecordService } from './types.js';

/**
 * The ISO 19139 record, built with an XML library (never by pasting strings), in the elements and
 * the order the portal writes (docs/catalogue.md, "The record"): a later edit in cartes.gouv.fr
 * parses it into its form's fields and writes it back whole. What the action knows it computes:
 * the identifier, the extent, the resolution, one online resource per service, the thumbnail.
 */

export interface RecordInput {
  fileIdentifier: string;
  description: RecordDescription;
  /** [west, south, east, north] in WGS84 degrees. */
  extent?: [number, number, number, number];
  scaleDenominator?: number;
  services: RecordService[];
  thumbnail?: { url: string; fileType: string };
  /** When the record is written (gco:DateTime); left out of every comparison. */
  dateStamp: string;
  /** The commit it is written from, said in its maintenance note (left out of every comparison). */
  commit?: string;
}

const NS = {
  gmd: 'http://www.isotc211.org/2005/gmd',
  gco: 'http://www.isotc211.org/2005/gco',
  gmx: 'http://www.isotc211.org/2005/gmx',
  xlink: 'http://www.w3.org/1999/xlink',
  xsi: 'http://www.w3.org/2001/XMLSchema-instance',
};
const CL = 'http://standards.iso.org/ittf/PubliclyAvailableStandards/ISO_19139_Schemas/resources/codelist/ML_gmxCodelists.xml';
const CL2 = 'http://standards.iso.org/iso/19139/resources/gmxCodelists.xml';
const RESTRICTED = `${CL2}#MD_RestrictionCode_restricted`;
const OTHER_SERVICE = 'http://inspire.ec.europa.eu/metadata-codelist/SpatialDataServiceType/other';

/** The names the portal gives the languages it offers; another code is its own name. */
const LANGUAGE_NAMES: Record<string, string> = { fre: 'français', eng: 'anglais', ger: 'allemand', spa: 'espagnol', ita: 'italien' };

export function renderRecord(input: RecordInput): string {
  const { description: d } = input;
  const root = create({ version: '1.0', encoding: 'UTF-8' }).ele(NS.gmd, 'gmd:MD_Metadata', {
    'xmlns:gco': NS.gco,
    'xmlns:gmx': NS.gmx,
    'xmlns:xlink': NS.xlink,
    'xmlns:xsi': NS.xsi,
    uuid: input.fileIdentifier,
  });
  string(root.ele('gmd:fileIdentifier'), input.fileIdentifier);
  root
    .ele('gmd:language')
    .ele('gmd:LanguageCode', { codeList: 'http://www.loc.gov/standards/iso639-2/', codeListValue: d.language })
    .txt(LANGUAGE_NAMES[d.language] ?? d.language);
  code(root.ele('gmd:characterSet'), 'gmd:MD_CharacterSetCode', `${CL}#MD_CharacterSetCode`, 'utf8', 'utf8');
  code(root.ele('gmd:hierarchyLevel'), 'gmd:MD_ScopeCode', `${CL}#MD_ScopeCode`, d.level, d.level);
  string(root.ele('gmd:hierarchyLevelName'), d.level === 'series' ? 'Collection des données' : 'Jeu de données');
  identification(root.ele('gmd:identificationInfo').ele('gmd:MD_DataIdentification'), input);
  const contact = root.ele('gmd:contact').ele('gmd:CI_ResponsibleParty');
  email(contact, d.contactEmail);
  root.ele('gmd:dateStamp').ele('gco:DateTime').txt(input.dateStamp);
  if (d.lineage)
    string(
      root.ele('gmd:dataQualityInfo').ele('gmd:DQ_DataQuality').ele('gmd:lineage').ele('gmd:LI_Lineage').ele('gmd:statement'),
      d.lineage,
    );
  if (input.services.length) {
    const options = root
      .ele('gmd:distributionInfo')
      .ele('gmd:MD_Distribution')
      .ele('gmd:transferOptions')
      .ele('gmd:MD_DigitalTransferOptions');
    for (const service of input.services) onLine(options, service);
  }
  // Which commit wrote it: a later run of an older commit leaves the record alone.
  if (input.commit) {
    const maintenance = root.ele('gmd:metadataMaintenance').ele('gmd:MD_MaintenanceInformation');
    code(
      maintenance.ele('gmd:maintenanceAndUpdateFrequency'),
      'gmd:MD_MaintenanceFrequencyCode',
      `${CL2}#MD_MaintenanceFrequencyCode`,
      'asNeeded',
    );
    string(maintenance.ele('gmd:maintenanceNote'), `${WRITTEN_FROM} ${input.commit}`);
  }
  return root.end({ prettyPrint: true });
}

function identification(di: XMLBuilder, input: RecordInput): void {
  const { description: d } = input;
  const citation = di.ele('gmd:citation').ele('gmd:CI_Citation');
  string(citation.ele('gmd:title'), d.title);
  date(citation, d.creationDate, 'creation', `${CL}#CI_DateTypeCode`);
  string(di.ele('gmd:abstract'), d.abstract);
  const party = di.ele('gmd:pointOfContact').ele('gmd:CI_ResponsibleParty');
  string(party.ele('gmd:organisationName'), d.organisation.name);
  email(party, d.organisation.email);
  if (d.inspireThemes.length) {
    const keywords = di.ele('gmd:descriptiveKeywords').ele('gmd:MD_Keywords');
    for (const theme of d.inspireThemes) string(keywords.ele('gmd:keyword'), theme);
    const thesaurus = keywords.ele('gmd:thesaurusName').ele('gmd:CI_Citation');
    string(thesaurus.ele('gmd:title'), 'GEMET - INSPIRE themes, version 1.0');
    date(thesaurus, '2008-06-01', 'publication', `${CL2}#CI_DateTypeCode`);
  }
  if (d.keywords.length) {
    const keywords = di.ele('gmd:descriptiveKeywords').ele('gmd:MD_Keywords');
    for (const word of d.keywords) string(keywords.ele('gmd:keyword'), word);
    code(keywords.ele('gmd:type'), 'gmd:MD_KeywordTypeCode', `${CL}#MD_KeywordTypeCode`, 'theme', 'theme');
  }
  for (const topic of d.topicCategories) di.ele('gmd:topicCategory').ele('gmd:MD_TopicCategoryCode').txt(topic);
  if (input.thumbnail) {
    const graphic = di.ele('gmd:graphicOverview').ele('gmd:MD_BrowseGraphic');
    string(graphic.ele('gmd:fileName'), input.thumbnail.url);
    string(graphic.ele('gmd:fileDescription'), 'Aperçu');
    string(graphic.ele('gmd:fileType'), input.thumbnail.fileType);
  }
  const maintenance = di.ele('gmd:resourceMaintenance').ele('gmd:MD_MaintenanceInformation').ele('gmd:maintenanceAndUpdateFrequency');
  code(maintenance, 'gmd:MD_MaintenanceFrequencyCode', `${CL2}#MD_MaintenanceFrequencyCode`, d.maintenanceFrequency);
  if (input.scaleDenominator)
    di.ele('gmd:spatialResolution')
      .ele('gmd:MD_Resolution')
      .ele('gmd:equivalentScale')
      .ele('gmd:MD_RepresentativeFraction')
      .ele('gmd:denominator')
      .ele('gco:Integer')
      .txt(String(input.scaleDenominator));
  if (input.extent) {
    const [west, south, east, north] = input.extent;
    const box = di.ele('gmd:extent').ele('gmd:EX_Extent').ele('gmd:geographicElement').ele('gmd:EX_GeographicBoundingBox');
    for (const [name, value] of [
      ['westBoundLongitude', west],
      ['eastBoundLongitude', east],
      ['southBoundLatitude', south],
      ['northBoundLatitude', north],
    ] as const)
      box.ele(`gmd:${name}`).ele('gco:Decimal').txt(String(value));
  }
  code(di.ele('gmd:spatialRepresentationType'), 'gmd:MD_SpatialRepresentationTypeCode', `${CL2}#MD_SpatialRepresentationTypeCode`, 'grid');
}

/** A layer as the portal and the catalogue read it: protocol, endpoint URL, layer name; a private one marked restricted. */
function onLine(options: XMLBuilder, service: RecordService): void {
  const resource = options.ele('gmd:onLine').ele('gmd:CI_OnlineResource');
  resource.ele('gmd:linkage').ele('gmd:URL').txt(service.url);
  string(resource.ele('gmd:protocol'), service.protocol);
  if (!service.open) resource.ele('gmd:applicationProfile').ele('gmx:Anchor', { 'xlink:href': OTHER_SERVICE }).txt('other');
  string(resource.ele('gmd:name'), service.layerName);
  if (!service.open)
    resource.ele('gmd:description').ele('gmx:Anchor', { 'xlink:href': RESTRICTED }).txt(`${service.layerName} - Accès restreint`);
}

function string(parent: XMLBuilder, value: string): void {
  parent.ele('gco:CharacterString').txt(value);
}

function code(parent: XMLBuilder, element: string, codeList: string, value: string, text?: string): void {
  const node = parent.ele(element, { codeList, codeListValue: value });
  if (text !== undefined) node.txt(text);
}

function email(party: XMLBuilder, address: string): void {
  string(
    party.ele('gmd:contactInfo').ele('gmd:CI_Contact').ele('gmd:address').ele('gmd:CI_Address').ele('gmd:electronicMailAddress'),
    address,
  );
}

function date(citation: XMLBuilder, value: string, type: string, codeList: string): void {
  const ciDate = citation.ele('gmd:date').ele('gmd:CI_Date');
  ciDate.ele('gmd:date').ele('gco:Date').txt(value);
  code(ciDate.ele('gmd:dateType'), 'gmd:CI_DateTypeCode', codeList, type, type);
}
