import type { LayerApi } from '../entrepot/layers.js';
import { array, record } from '../entrepot/json.js';
import type {
  Configuration,
  ConfigurationBody,
  Endpoint,
  MetadataLink,
  Offering,
  ServiceType,
  StoredData,
  UsedData,
} from '../entrepot/types.js';
import { poll, type PollOptions } from '../http/poll.js';
import { waitFor } from '../http/retry.js';
import { LayerStateError, TimeoutError } from '../shared/errors.js';
import type { LiveService } from './live.js';
import type { LayerEvent, LayerOptions, ServiceStep, UpdatePlan } from './types.js';

/** How long a sync whose answer was lost is looked for before the PUT is made again (as a file's tree after a lost POST). */
const SYNC_SETTLE_MS = 10_000;

/**
 * One service of a layer (WMTS-TMS or WMS-RASTER), brought to its plan's steps: its configuration
 * created, pointed at the pyramid or retitled (a full PUT that keeps what others set, never a `bbox`
 * the server computed from an older pyramid), then its offering created, re-synchronised (confirmed
 * by its `update` date or a MODIFYING seen) or published again on the other endpoint, and awaited
 * until PUBLISHED (docs/api.md, "Layers").
 */
export class ServicePublisher {
  constructor(
    private readonly api: LayerApi,
    private readonly options: LayerOptions,
    private readonly update: UpdatePlan,
    private readonly emit: (event: LayerEvent) => void,
    /** The chain's waits share their rules: within `processing-timeout`, forgiven failed reads said. */
    private readonly pollOptions: (firstPauseMs: number, onTimeout: () => TimeoutError) => PollOptions,
  ) {}

  /** The step's configuration, pointing at `storedData`, with the tags it lacks. */
  async configure(step: ServiceStep, storedData: StoredData, live: LiveService | undefined): Promise<Configuration> {
    const configuration = await this.pointed(step, storedData, live);
    if (Object.keys(step.tags).length) {
      await this.api.tagConfiguration(configuration.id, step.tags);
      this.emit({
        type: 'info',
        message: `Tagged the ${step.type} configuration ${configuration.id}: ${Object.keys(step.tags).join(', ')}`,
      });
    }
    return configuration;
  }

  private async pointed(step: ServiceStep, storedData: StoredData, live: LiveService | undefined): Promise<Configuration> {
    const { api, options } = this;
    const layer = options.layer ?? '';
    const title = options.layerTitle ?? layer;
    const abstract = options.layerAbstract ?? title;
    const current = live?.configuration;
    if (!current) {
      const usedData = [{ stored_data: storedData.id, ...this.levels(storedData, undefined) }];
      const catalogue = options.catalogue;
      const created = await api.createConfiguration({
        type: step.type,
        name: layer,
        layer_name: layer,
        ...(catalogue?.links.length ? { metadata: catalogue.links } : {}),
        type_infos: { title, abstract, ...(catalogue ? { keywords: catalogue.keywords } : {}), used_data: usedData },
      });
      this.emit({ type: 'info', message: `Created the ${step.type} configuration ${created.id} of layer ${layer}` });
      return created;
    }
    if (step.configuration === 'keep') {
      this.emit({ type: 'info', message: `The ${step.type} configuration ${current.id} already uses pyramid ${storedData.id}` });
      return current;
    }
    const usedData: UsedData[] = [{ stored_data: storedData.id, ...this.levels(storedData, current) }];
    await api.replaceConfiguration(current, this.fullBody(step.type, current, { title, abstract, usedData }));
    this.emit({
      type: 'info',
      message:
        step.configuration === 'settings'
          ? `The ${step.type} configuration ${current.id} now reads title '${title}'${this.options.catalogue ? ", with the record's links and keywords" : ''}`
          : `The ${step.type} configuration ${current.id} now uses pyramid ${storedData.id}`,
    });
    return { ...current, usedData };
  }

  /**
   * A full PUT: what the action does not set (attribution, metadata, keywords) is kept, but not the
   * `bbox` the server computed from the pyramid the configuration used before (docs/api.md, "Layers").
   */
  private fullBody(
    type: ServiceType,
    current: Configuration,
    asked: { title: string; abstract: string; usedData: UsedData[] },
  ): ConfigurationBody {
    const raw = current.raw;
    const { bbox: _computed, ...kept } = record(raw.type_infos);
    const catalogue = this.options.catalogue;
    // The record's links replace the action's earlier ones; every other entry is kept as it is.
    const metadata = catalogue
      ? [...array(raw.metadata).filter((entry) => !isOwnLink(entry, catalogue.ownsLink)), ...catalogue.links]
      : raw.metadata;
    return {
      type,
      name: current.name || (this.options.layer ?? ''),
      ...(raw.attribution !== undefined ? { attribution: raw.attribution } : {}),
      ...(metadata !== undefined ? { metadata } : {}),
      type_infos: {
        ...kept,
        title: asked.title,
        abstract: asked.abstract,
        ...(catalogue ? { keywords: catalogue.keywords } : {}),
        used_data: asked.usedData,
      },
    };
  }

  /**
   * The levels to serve: the inputs' when set; else those the configuration serves now when the
   * pyramid has them (an incremental update keeps them); else the pyramid's own range. A level the
   * pyramid lacks is refused by the platform after the build: said here, before the PUT.
   */
  private levels(storedData: StoredData, current: Configuration | undefined): Pick<UsedData, 'bottom_level' | 'top_level'> {
    const have = storedData.levels.map(Number).filter(Number.isFinite);
    let deepest = have[0] ?? 0;
    let widest = have[0] ?? 0;
    for (const level of have) {
      deepest = Math.max(deepest, level);
      widest = Math.min(widest, level);
    }
    const own = { bottom_level: String(deepest), top_level: String(widest) };
    const liveLevels = current?.usedData[0];
    const asked =
      this.options.bottomLevel || this.options.topLevel
        ? { bottom_level: this.options.bottomLevel ?? own.bottom_level, top_level: this.options.topLevel ?? own.top_level }
        : this.update.kind === 'incremental' && liveLevels
          ? { bottom_level: liveLevels.bottom_level, top_level: liveLevels.top_level }
          : own;
    const missing = [asked.bottom_level, asked.top_level].filter((level) => !storedData.levels.includes(level));
    if (missing.length && storedData.levels.length)
      throw new LayerStateError(
        `Pyramid ${storedData.id} has levels ${own.top_level} to ${own.bottom_level}, not ${missing.join(' and ')}, which the layer serves: set bottom-level and top-level, or update: full to rebuild it whole`,
      );
    return asked;
  }

  /** The step's offering on `endpoint`: created, re-synchronised, published again on the other endpoint, or as it is; then PUBLISHED. */
  async offer(step: ServiceStep, configuration: Configuration, endpoint: Endpoint, live: LiveService | undefined): Promise<Offering> {
    const { api } = this;
    const current = live?.offerings.find((o) => o.endpointId === endpoint.id) ?? live?.offerings[0];
    if (current && step.offering === 'republish') {
      await this.unpublish(current);
      return this.offer({ ...step, offering: 'create' }, configuration, endpoint, undefined);
    }
    if (!current || step.offering === 'create') {
      const offering = await api.createOffering(configuration.id, endpoint.id, this.options.public);
      this.emit({ type: 'info', message: `Published ${step.type} offering ${offering.id}` });
      return this.awaitPublished(offering.id);
    }
    if (step.offering === 'sync' && current.status !== 'MODIFYING') {
      const before = await api.offering(current.id);
      // The sync took effect once the offering's `update` date moves, or once it is seen MODIFYING
      // (a state that does not last): docs/api.md, "Layers", updates. Either shows a moment after
      // the PUT, so a lost answer is followed by a bounded look before any second PUT.
      const shows = async () => {
        const read = () => api.offering(before.id);
        return syncedSince(await waitFor(read, (now) => syncedSince(now, before), SYNC_SETTLE_MS, this.options.signal), before);
      };
      await api.syncOffering(current.id, shows);
      this.emit({ type: 'info', message: `Re-synchronised offering ${current.id}: the servers take the new pyramid` });
      return this.awaitPublished(current.id, before);
    }
    return this.awaitPublished(current.id);
  }

  /** The offering withdrawn (openness changed: the other endpoint), awaited until it is gone. */
  private async unpublish(offering: Offering): Promise<void> {
    await this.api.deleteOffering(offering.id);
    this.emit({ type: 'info', message: `Unpublished offering ${offering.id}: the layer moves to the other endpoint` });
  }

  /** PUBLISHED, and after a sync, PUBLISHED since that sync: a PUBLISHED that predates it is not the new pyramid served. */
  private awaitPublished(offeringId: string, beforeSync?: Offering): Promise<Offering> {
    let synced = beforeSync === undefined;
    let last = '';
    const timeout = () =>
      new TimeoutError(
        `Offering ${offeringId} was not PUBLISHED within the processing-timeout (last status ${last}); re-run to keep waiting`,
      );
    // An offering is "normalement quasiment instantané" (the SDK polls it every second).
    return poll(this.pollOptions(Math.min(this.options.pollIntervalMs, 1000), timeout), async (signal) => {
      const offering = await this.api.within(signal).offering(offeringId);
      last = offering.status;
      synced ||= beforeSync !== undefined && syncedSince(offering, beforeSync);
      // Before the sync shows, UNSTABLE is what the offering was: the sync is what repairs it.
      if (offering.status === 'UNSTABLE' && synced)
        throw new LayerStateError(`Offering ${offeringId} is UNSTABLE: the layer could not be published`);
      return {
        state: `${offering.status} ${offering.update ?? ''}`,
        value: offering.status === 'PUBLISHED' && synced ? offering : undefined,
      };
    });
  }
}

/** Whether a `metadata[]` entry is one the action made for this layer's record (then replaced, not kept). */
function isOwnLink(entry: unknown, ownsLink: (link: MetadataLink) => boolean): boolean {
  const item = record(entry);
  const [format, url, type] = [item.format, item.url, item.type];
  return typeof format === 'string' && typeof url === 'string' && typeof type === 'string' && ownsLink({ format, url, type });
}

/**
 * Whether `now` shows the sync asked after `before` was read: a newer `update` date, or MODIFYING.
 * A server that dates nothing and never shows MODIFYING cannot confirm: PUBLISHED then stands for it.
 */
function syncedSince(now: Offering, before: Offering): boolean {
  if (now.status === 'MODIFYING') return true;
  if (now.update !== undefined && before.update !== undefined) {
    const [after, earlier] = [Date.parse(now.update), Date.parse(before.update)];
    return Number.isFinite(after) && Number.isFinite(earlier) ? after > earlier : now.update !== before.update;
  }
  return now.status === 'PUBLISHED' && before.update === undefined && now.update === undefined;
}
