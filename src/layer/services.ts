import { TimeoutError, LayerStateError } from '../shared/errors.js';
import type { LayerApi } from '../entrepot/layers.js';
import type { Configuration, Offering, ServiceType, StoredData } from '../entrepot/types.js';
import { record } from '../entrepot/json.js';
import type { LayerEvent, LayerOptions } from './types.js';
import { poll, type PollOptions } from '../http/poll.js';
import { waitFor } from '../http/retry.js';

/** How long a sync whose answer was lost is looked for before the PUT is made again (as a file's tree after a lost POST). */
const SYNC_SETTLE_MS = 10_000;

/**
 * One service of a layer (WMTS-TMS or WMS-RASTER): its configuration pointed at the pyramid
 * (created the first time, replaced in full with `PUT` after), and its offering published, or
 * re-synchronised after an update, then awaited until PUBLISHED (docs/api.md, "Layers").
 */
export class ServicePublisher {
  constructor(
    private readonly api: LayerApi,
    private readonly options: LayerOptions,
    private readonly emit: (event: LayerEvent) => void,
    /** The chain's waits share their rules: within `processing-timeout`, forgiven failed reads said. */
    private readonly pollOptions: (firstPauseMs: number, onTimeout: () => TimeoutError) => PollOptions,
  ) {}

  /** Points a configuration of `type` at the pyramid: a new one, or the existing one replaced in full. */
  async configure(type: ServiceType, storedData: StoredData, current: Configuration | undefined): Promise<Configuration> {
    const { api, options } = this;
    const levels = storedData.levels.map(Number).filter(Number.isFinite);
    const usedData = [
      {
        stored_data: storedData.id,
        bottom_level: options.bottomLevel ?? String(Math.max(...levels)),
        top_level: options.topLevel ?? String(Math.min(...levels)),
      },
    ];
    const layer = options.layer ?? '';
    const title = options.layerTitle ?? layer;
    if (!current) {
      const created = await api.createConfiguration({
        type,
        name: layer,
        layer_name: layer,
        type_infos: { title, abstract: options.layerAbstract ?? title, used_data: usedData },
      });
      this.emit({ type: 'info', message: `Created the ${type} configuration ${created.id} of layer ${layer}` });
      return created;
    }
    if (current.usedData.some((u) => u.stored_data === storedData.id)) {
      this.emit({ type: 'info', message: `The ${type} configuration ${current.id} already uses pyramid ${storedData.id}` });
      return current;
    }
    // A full PUT: what the action does not set (attribution, metadata, keywords) is kept.
    const raw = current.raw;
    await api.replaceConfiguration(current, {
      type,
      name: current.name || layer,
      ...(raw.attribution ? { attribution: raw.attribution } : {}),
      ...(raw.metadata ? { metadata: raw.metadata } : {}),
      type_infos: { ...record(raw.type_infos), title, abstract: options.layerAbstract ?? title, used_data: usedData },
    });
    this.emit({ type: 'info', message: `The ${type} configuration ${current.id} now uses pyramid ${storedData.id}` });
    return { ...current, usedData };
  }

  /**
   * The configuration's offering on `endpointId`: created, or re-synchronised after an update or a
   * publication that ended UNSTABLE; then PUBLISHED.
   */
  async offer(configuration: Configuration, endpointId: string, updated: boolean): Promise<Offering> {
    const { api } = this;
    let offering = (await api.offeringsOf(configuration.id)).find((o) => o.endpointId === endpointId);
    if (!offering) {
      offering = await api.createOffering(configuration.id, endpointId, this.options.public);
      this.emit({ type: 'info', message: `Published ${configuration.type} offering ${offering.id}` });
    } else if ((updated || offering.status === 'UNSTABLE') && offering.status !== 'MODIFYING') {
      const before = offering;
      // The sync took effect once the offering's `update` date moves, or once it is seen MODIFYING
      // (a state that does not last): docs/api.md, "Layers", updates. Either shows a moment after
      // the PUT, so a lost answer is followed by a bounded look before any second PUT.
      const shows = async () => {
        const read = () => api.offering(before.id);
        return syncedSince(await waitFor(read, (now) => syncedSince(now, before), SYNC_SETTLE_MS, this.options.signal), before);
      };
      await api.syncOffering(offering.id, shows);
      this.emit({ type: 'info', message: `Re-synchronised offering ${offering.id}: the servers take the new pyramid` });
      return this.awaitPublished(offering.id, before);
    }
    return this.awaitPublished(offering.id);
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
