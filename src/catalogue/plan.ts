import { DATASHEET_TAG } from '../config/inputs.js';
import type { CatalogueApi, MetadataEntity } from '../entrepot/catalogue.js';
import type { DatastoreFacts } from '../entrepot/datastore.js';
import type { Endpoint, MetadataLink } from '../entrepot/types.js';
import type { ConfigurationCatalogue } from '../layer/types.js';
import { InputError, LayerStateError } from '../shared/errors.js';
import { fileIdentifierOf } from './description.js';
import { withoutDoubledSlashes } from './services.js';
import type { RecordSource } from './types.js';

/**
 * The record's plan, made before anything is sent: its source read and checked, its file
 * identifier (the datastore's prefix), the METADATA endpoint it is published on, and what every
 * configuration of the layer carries for it (links and keywords: docs/catalogue.md). A problem
 * here stops the run before the first data POST.
 */

/** The catalogue's page of a record (cartes.gouv.fr, geonetwork-ui). */
export const CATALOGUE_PAGE = 'https://cartes.gouv.fr/catalogue/dataset/';
/** Where the CSW answers in production, when the datastore's METADATA endpoint gives no URL. */
const PRODUCTION_CSW = 'https://data.geopf.fr/csw';

export interface CataloguePlan {
  source: RecordSource;
  fileIdentifier: string;
  /** The datastore's endpoints, as read for the plan: their URLs name the record's services. */
  endpoints: Endpoint[];
  /** The record as the datastore holds it, found by its identifier. */
  existing?: MetadataEntity;
  /** Other records carrying the fiche's name (the fiche shows the first only). */
  others: string[];
  /** The METADATA endpoint the record is published on (undefined: the datastore has none open). */
  endpoint?: { id: string };
  catalogueUrl: string;
  cswUrl: string;
  /** `https://…/annexes/{technical_name}`: a published annex's URL is this and its path. */
  annexRoot?: string;
  configurations: ConfigurationCatalogue;
  /** `theme` on configurations; `producer` and `production_year` on the upload and the pyramid. */
  configurationTags: Record<string, string>;
  storedDataTags: Record<string, string>;
}

export interface CataloguePlanInput {
  /** The record's source, read and checked with the files. */
  source: RecordSource;
  layer: string;
  datasheet?: string;
  apiUrl: string;
  publish: boolean;
  datastore: DatastoreFacts;
  endpoints: Endpoint[];
  api: CatalogueApi;
}

export async function planCatalogue(input: CataloguePlanInput): Promise<CataloguePlan> {
  const { source } = input;
  const fileIdentifier = fileIdentifierOf(source, input.layer, input.datastore.metadataPrefix);
  // The first open METADATA endpoint, as the portal takes it (docs/catalogue.md, "Publication").
  const metadataEndpoint = input.endpoints.find((e) => e.type === 'METADATA' && e.open);
  if (input.publish && !metadataEndpoint)
    throw new LayerStateError(
      'The datastore has no open METADATA endpoint to publish the record on; set metadata-publish: false, or ask IGN to add one',
    );
  const { existing, others } = await findRecord(input, fileIdentifier, metadataEndpoint);
  const endpointUrl = metadataEndpoint?.urls.find((u) => u.type === 'METADATA')?.url ?? metadataEndpoint?.urls[0]?.url;
  const cswBase = withoutDoubledSlashes(endpointUrl ?? PRODUCTION_CSW);
  // Identifiers starting with "sandbox" are read from the sandbox CSW (docs/catalogue.md).
  const csw = /^sandbox/i.test(fileIdentifier) ? cswBase.replace(/\/csw$/, '/sandbox/csw') : cswBase;
  const cswUrl = `${csw}?REQUEST=GetRecordById&SERVICE=CSW&VERSION=2.0.2&OUTPUTSCHEMA=http://www.isotc211.org/2005/gmd&elementSetName=full&ID=${encodeURIComponent(fileIdentifier)}`;
  const catalogueUrl = `${CATALOGUE_PAGE}${encodeURIComponent(fileIdentifier)}`;
  const links: MetadataLink[] = [
    { format: 'application/xml', type: 'ISO19115:2003', url: cswUrl },
    { format: 'text/html', type: 'Other', url: catalogueUrl },
  ];
  const description = source.kind === 'yaml' ? source.description : undefined;
  const keywords = description ? [...new Set([...description.topicCategories, ...description.inspireThemes, ...description.keywords])] : [];
  const technical = input.datastore.technicalName;
  return {
    source,
    fileIdentifier,
    existing,
    others,
    endpoints: input.endpoints,
    endpoint: metadataEndpoint ? { id: metadataEndpoint.id } : undefined,
    catalogueUrl,
    cswUrl,
    annexRoot: technical ? `${new URL(input.apiUrl).origin}/annexes/${encodeURIComponent(technical)}` : undefined,
    configurations: {
      links,
      // An earlier link of the action's: the CSW's GetRecordById or the catalogue's page of this identifier.
      ownsLink: (link) =>
        link.url === catalogueUrl ||
        (link.type === 'ISO19115:2003' && new RegExp(`[?&]ID=${encodeURIComponent(fileIdentifier)}$`).test(link.url)),
      keywords,
    },
    configurationTags: description?.topicCategories.length ? { theme: description.topicCategories.join(', ') } : {},
    storedDataTags: description
      ? producerTags(
          description.producer ?? description.organisation.name,
          description.productionYear ?? description.creationDate.slice(0, 4),
        )
      : {},
  };
}

/**
 * The record itself, by its identifier (unique on the platform): the datastore's truth, not a tag;
 * and the others that carry the fiche's name. Refused here: a fiche whose record has another
 * identifier, a publication with no room left.
 */
async function findRecord(input: CataloguePlanInput, fileIdentifier: string, metadataEndpoint: Endpoint | undefined) {
  const records = await input.api.metadataList();
  const existing = records.find((m) => m.fileIdentifier === fileIdentifier);
  const others = records
    .filter((m) => m !== existing && input.datasheet && m.tags[DATASHEET_TAG] === input.datasheet)
    .map((m) => m.fileIdentifier);
  // The fiche has its record already, under another identifier: a second would leave the fiche two
  // (it shows the first), and identifiers never change once published. Said before anything is sent.
  if (!existing && others.length) throw renamedRecord(input.source, others[0], input.datasheet ?? '');
  const published = existing && metadataEndpoint ? existing.endpointIds.includes(metadataEndpoint.id) : false;
  const { use, quota } = metadataEndpoint ?? {};
  if (input.publish && !published && use !== undefined && quota !== undefined && use >= quota)
    throw new LayerStateError(
      `The datastore's METADATA endpoint holds ${use} of its ${quota} records: no room to publish this one; unpublish a record you no longer need, set metadata-publish: false, or ask IGN for a larger quota`,
    );
  return { existing, others };
}

function renamedRecord(source: RecordSource, held: string, datasheet: string): InputError {
  const fix = source.kind === 'yaml' ? `set identifier: ${held} in ${source.path}` : `write ${held} in ${source.path}'s gmd:fileIdentifier`;
  return new InputError(
    'metadata',
    `the fiche '${datasheet}' has its record already, ${held}, and a record's identifier never changes once published: ${fix} (or delete that record first)`,
  );
}

function producerTags(producer: string, year: string): Record<string, string> {
  if (!/^\d{4}$/.test(year)) throw new InputError('metadata', `production-year '${year}' is not a year; write it as 2024`);
  return { producer, production_year: year };
}
