import type { CatalogueApi, MetadataEntity } from '../entrepot/catalogue.js';
import { DATASHEET_TAG } from '../config/inputs.js';
import { ApiError, errorText, InputError } from '../shared/errors.js';
import type { Ancestry } from '../workspace/changes.js';
import { contentOf, fieldChanges, writtenFrom } from './fields.js';
import type { CataloguePlan } from './plan.js';
import { renderRecord } from './record.js';
import { reconcileThumbnail, type ThumbnailInput, type ThumbnailOutcome } from './thumbnail.js';
import type { CatalogueEvent, CatalogueReport, RecordService } from './types.js';

/**
 * The fiche's metadata record kept equal to the merged commit, as a reconcile
 * (docs/catalogue.md): the record asked is rendered from the repository's description and what
 * the run knows (extent, resolution, services, thumbnail), or is the user's own XML; it is
 * compared on content with the datastore's (`GET …/file`), then created or replaced only when it
 * differs, tagged with the fiche's name, and published once. Every write at most once: a lost
 * answer to the create is found again by the record's identifier, to the replace by its content.
 */

export interface RecordRun {
  plan: CataloguePlan;
  datasheet: string;
  dryRun: boolean;
  publish: boolean;
  /** What the layer serves once the run is done (or would, in a dry run). */
  services: RecordService[];
  extent?: [number, number, number, number];
  scaleDenominator?: number;
  thumbnail: Omit<ThumbnailInput, 'annexRoot' | 'datasheet' | 'dryRun'>;
  /** When the record is written: its dateStamp. */
  now?: () => Date;
  /** The run's commit, named in the maintenance note of the record it writes (undefined outside a commit). */
  commit?: string;
  /** How the run's commit relates to the one the record was written from; undefined: git cannot tell. */
  ancestry: (since: string) => Promise<Ancestry | undefined>;
}

type Emit = (event: CatalogueEvent) => void;

export async function reconcileRecord(api: CatalogueApi, run: RecordRun, emit: Emit): Promise<CatalogueReport> {
  const { plan } = run;
  const existing = plan.existing;
  const report: CatalogueReport = {
    fileIdentifier: plan.fileIdentifier,
    metadataId: existing?.id,
    verdict: 'would leave unchanged',
    changes: [],
    published: existing !== undefined && plan.endpoint !== undefined && existing.endpointIds.includes(plan.endpoint.id),
    catalogueUrl: plan.catalogueUrl,
    cswUrl: plan.cswUrl,
  };
  const held = existing ? await api.metadataFile(existing.id) : undefined;
  const written = held === undefined ? undefined : writtenFrom(held);
  if (written && (await newerThanRun(run, written))) {
    emit({
      type: 'warning',
      message: `The metadata record was left as it is: it was written from commit ${written.slice(0, 7)}, newer than this run's`,
    });
    report.verdict = run.dryRun ? 'would leave unchanged' : 'unchanged';
    emit({ type: 'catalogue', report });
    return report;
  }
  const thumbnail = await thumbnailOf(api, run, emit);
  if (thumbnail) report.thumbnail = { url: thumbnail.url ?? '', verdict: thumbnailVerdict(thumbnail), why: thumbnail.why };
  const xml = recordAsked(run, thumbnail);
  const same = held !== undefined && contentOf(held) === contentOf(xml);
  report.changes = same ? [] : fieldChanges(held, xml);
  report.verdict = !existing ? 'would create' : same ? 'would leave unchanged' : 'would replace';
  // The `metadata-id` output as soon as the record is known, whatever fails after.
  if (existing || run.dryRun) emit({ type: 'catalogue', report });
  if (run.dryRun) return report;
  const entity = await writeRecord(api, run, report, xml, same, emit);
  report.metadataId = entity.id;
  emit({ type: 'catalogue', report });
  const flagsChanged = await keepFlags(api, entity, plan, emit);
  if (entity.tags[DATASHEET_TAG] !== run.datasheet) await api.tagMetadata(entity.id, { [DATASHEET_TAG]: run.datasheet });
  await publication(api, entity, run, report, flagsChanged, emit);
  emit({ type: 'catalogue', report });
  await deleteStale(api, thumbnail, emit);
  return report;
}

/** The record created, or replaced when its content differs; the entity as the server holds it. */
async function writeRecord(api: CatalogueApi, run: RecordRun, report: CatalogueReport, xml: string, same: boolean, emit: Emit) {
  const { plan } = run;
  const existing = plan.existing;
  let entity: MetadataEntity;
  if (!existing) {
    entity = await api.createMetadata(xml, plan.fileIdentifier, flagsOf(plan)).catch((error: unknown) => {
      // Not ours (the lost-answer lookup found none in this datastore): another datastore holds it.
      if (error instanceof ApiError && error.status === 409) throw takenIdentifier(plan, error);
      throw error;
    });
    report.verdict = 'created';
    emit({ type: 'info', message: `Created metadata record ${entity.id} (${plan.fileIdentifier})` });
  } else {
    entity = existing;
    report.verdict = same ? 'unchanged' : 'replaced';
    if (!same) {
      await api.replaceMetadata(existing.id, xml, async () => contentOf(await api.metadataFile(existing.id)) === contentOf(xml));
      emit({ type: 'info', message: `Replaced metadata record ${existing.id}: ${report.changes.map((c) => c.field).join(', ')}` });
    }
  }
  return entity;
}

/** Whether the record was written from a commit the run's commit precedes: then it is newer than the run. */
async function newerThanRun(run: RecordRun, written: string): Promise<boolean> {
  if (!run.commit || written === run.commit) return false;
  return (await run.ancestry(written)) === 'backward';
}

/** Identifiers are unique on the whole platform: one another datastore holds is the user's to change. */
function takenIdentifier(plan: CataloguePlan, error: ApiError): InputError {
  const fix = plan.source.kind === 'yaml' ? `set identifier in ${plan.source.path}` : `change gmd:fileIdentifier in ${plan.source.path}`;
  return new InputError(
    'metadata',
    `the record's identifier ${plan.fileIdentifier} is taken on the platform, by a record outside this datastore (${error.details.join('; ') || `HTTP ${error.status}`}); ${fix} to one of your own`,
  );
}

/** The record's XML: the user's own, or rendered (dateStamp: now, left out of the comparison). */
function recordAsked(run: RecordRun, thumbnail: ThumbnailOutcome | undefined): string {
  const { source } = run.plan;
  if (source.kind === 'xml') return source.xml;
  const now = (run.now ?? (() => new Date()))();
  return renderRecord({
    fileIdentifier: run.plan.fileIdentifier,
    description: source.description,
    extent: run.extent,
    scaleDenominator: source.description.scaleDenominator ?? run.scaleDenominator,
    services: run.services,
    commit: run.commit,
    thumbnail: thumbnail?.url && thumbnail.fileType ? { url: thumbnail.url, fileType: thumbnail.fileType } : undefined,
    dateStamp: now.toISOString().slice(0, 19),
  });
}

/** A generated record's thumbnail; a user's XML is sent as it is, its graphicOverview its own. */
async function thumbnailOf(api: CatalogueApi, run: RecordRun, emit: Emit): Promise<ThumbnailOutcome | undefined> {
  if (run.plan.source.kind === 'xml') return undefined;
  const input: ThumbnailInput = { ...run.thumbnail, annexRoot: run.plan.annexRoot, datasheet: run.datasheet, dryRun: run.dryRun };
  const outcome = await reconcileThumbnail(api, input, (message) => emit({ type: 'warning', message }));
  if (outcome.verdict === 'created') emit({ type: 'info', message: `Made the fiche's thumbnail ${outcome.url ?? ''}` });
  return outcome;
}

function thumbnailVerdict(outcome: ThumbnailOutcome): NonNullable<CatalogueReport['thumbnail']>['verdict'] {
  if (outcome.verdict === 'created' || outcome.verdict === 'would create') return outcome.stale.length ? 'replaced' : 'created';
  return outcome.verdict === 'kept' ? 'kept' : 'none';
}

function flagsOf(plan: CataloguePlan): { inspire: boolean; openData: boolean } {
  const { source } = plan;
  return source.kind === 'yaml' ? { inspire: source.description.inspire, openData: source.description.openData } : source;
}

/** `type` and `open_data` as the description asks, when the entity says what it holds. */
async function keepFlags(api: CatalogueApi, entity: MetadataEntity, plan: CataloguePlan, emit: Emit): Promise<boolean> {
  const flags = flagsOf(plan);
  const type = flags.inspire ? 'INSPIRE' : 'ISOAP';
  const differs =
    (entity.type !== undefined && entity.type !== type) || (entity.openData !== undefined && entity.openData !== flags.openData);
  if (!differs) return false;
  await api.setMetadataFlags(entity.id, flags);
  emit({ type: 'info', message: `Metadata record ${entity.id} is now ${type}, open_data ${flags.openData}` });
  return true;
}

/** Published on the METADATA endpoint when asked and not yet; again after its flags changed (the API asks it). */
async function publication(api: CatalogueApi, entity: MetadataEntity, run: RecordRun, report: CatalogueReport, again: boolean, emit: Emit) {
  const endpoint = run.plan.endpoint;
  const published = endpoint !== undefined && entity.endpointIds.includes(endpoint.id);
  report.published = published;
  if (!run.publish) {
    if (published)
      emit({ type: 'info', message: 'The record stays published: metadata-publish: false does not withdraw it from the catalogue' });
    return;
  }
  if (!endpoint || (published && !again)) return;
  await api.publishMetadata(entity.id, run.plan.fileIdentifier, endpoint.id);
  report.published = true;
  emit({ type: 'info', message: `Published metadata record ${entity.id} on the catalogue's endpoint` });
}

/** The fiche's earlier thumbnails, once the record names the new one; a failure leaves them, said. */
async function deleteStale(api: CatalogueApi, thumbnail: ThumbnailOutcome | undefined, emit: Emit): Promise<void> {
  if (!thumbnail || thumbnail.verdict === 'none') return;
  for (const annex of thumbnail.stale)
    try {
      await api.deleteAnnex(annex.id);
      emit({ type: 'info', message: `Deleted the fiche's earlier thumbnail ${annex.id}` });
    } catch (error) {
      emit({
        type: 'warning',
        message: `The fiche's earlier thumbnail ${annex.id} was not deleted (${errorText(error)}); the next run tries again`,
      });
    }
}
