import type { LayerApi } from '../entrepot/layers.js';
import type { Endpoint, StoredData, Upload } from '../entrepot/types.js';
import type { PollOptions } from '../http/poll.js';
import { errorText, LayerStateError, TimeoutError } from '../shared/errors.js';
import { cleanUp } from './cleanup.js';
import { readLive } from './live.js';
import { previewUrl } from './preview.js';
import { PyramidBuilder } from './pyramid.js';
import { ServicePublisher } from './services.js';
import {
  builds,
  type LayerEvent,
  type LayerOptions,
  type LayerPlan,
  type LayerReport,
  type ServiceStep,
  type UpdatePlan,
} from './types.js';

/**
 * The plan applied (update.ts made it from the live layer and what the run asks), in IGN's order
 * (docs/api.md, "Layers"): the pyramid built from the CLOSED upload when the plan builds one; each
 * service's configuration and offering brought to its steps, every offering confirmed PUBLISHED
 * since its sync; then the clean-up of what the layer owns and nothing uses, and the upload. Every
 * write at most once, each confirmed on something that lasts. Knows nothing of GitHub: it emits
 * events and returns a report.
 */

type Emit = (event: LayerEvent) => void;

export async function publishLayer(
  api: LayerApi,
  upload: Upload | undefined,
  options: LayerOptions,
  plan: LayerPlan & { update: UpdatePlan },
  emit: Emit = () => undefined,
): Promise<LayerReport> {
  return new LayerRun(api, upload, options, plan, emit).execute();
}

class LayerRun {
  private readonly update: UpdatePlan;

  constructor(
    private readonly api: LayerApi,
    private readonly upload: Upload | undefined,
    private readonly options: LayerOptions,
    private readonly plan: LayerPlan & { update: UpdatePlan },
    private readonly emit: Emit,
  ) {
    this.update = plan.update;
  }

  async execute(): Promise<LayerReport> {
    const { update } = this;
    const report = this.newReport();
    // The `update` and `changed` outputs as soon as they are known, whatever fails after.
    this.emit({ type: 'layer', report });
    for (const notice of update.notices) this.emit({ type: 'warning', message: notice });
    if (this.options.dryRun) return this.planOnly(report);
    if (update.kind === 'stale') return this.stale(report);
    const building = builds(update.kind);
    if (building && !this.upload)
      throw new LayerStateError(`Layer ${report.layer}: a pyramid is to be built, but no CLOSED upload was made`);
    const storedData = await this.pyramid(building);
    report.storedData = storedData;
    this.emit({ type: 'stored-data', storedData });
    await this.serve(report, storedData);
    await this.clean(report, storedData);
    report.preview = this.options.public ? previewUrl(report, storedData, this.options.compression) : undefined;
    this.emit({ type: 'layer', report });
    return report;
  }

  private newReport(): LayerReport {
    const { update } = this;
    const action = update.kind === 'created' ? 'created' : update.kind === 'unchanged' || update.kind === 'stale' ? 'unchanged' : 'updated';
    return {
      layer: this.options.layer ?? '',
      action,
      update: { kind: update.kind, why: update.why, changed: update.files.length },
      parameters: this.plan.parameters,
      services: [],
      deletedPyramids: [],
      uploadDeleted: false,
      urls: {},
      // The fiche's page, as the portal's dashboard addresses it (docs/api.md, "The fiche").
      fiche: this.options.datasheet
        ? `https://cartes.gouv.fr/tableau-de-bord/entrepots/${encodeURIComponent(this.options.datastore)}/donnees/${encodeURIComponent(this.options.datasheet)}`
        : undefined,
    };
  }

  /** The pyramid the layer serves after the run: built from the upload, or the live one kept. */
  private async pyramid(building: boolean): Promise<StoredData> {
    const live = this.update.live;
    if (!building && live) return this.withFicheTags(live);
    if (!this.upload) throw new LayerStateError('No pyramid to serve and no upload to build one from');
    this.emit({ type: 'phase', phase: 'pyramid', title: `Build the pyramid of layer ${this.options.layer ?? ''}` });
    const builder = new PyramidBuilder(this.api, this.options, this.plan, this.emit, (first, onTimeout) =>
      this.pollOptions(first, onTimeout),
    );
    return builder.build(this.upload, this.update);
  }

  /** The live pyramid with the fiche's tags it lacks (the portal lists a fiche's data by them). */
  private async withFicheTags(live: StoredData): Promise<StoredData> {
    const missing = Object.entries(this.options.ficheTags ?? {}).filter(([key, value]) => live.tags[key] !== value);
    if (missing.length === 0) return live;
    await this.api.tagStoredData(live.id, Object.fromEntries(missing));
    this.emit({ type: 'info', message: `Tagged pyramid ${live.id}: ${missing.map(([key]) => key).join(', ')}` });
    return { ...live, tags: { ...live.tags, ...Object.fromEntries(missing) } };
  }

  /** The run's commit is older than the one the layer serves: nothing is changed, and the run says so. */
  private async stale(report: LayerReport): Promise<LayerReport> {
    this.emit({ type: 'warning', message: `Layer ${report.layer} was left as it is: ${this.update.why}` });
    report.storedData = this.update.live;
    await this.describe(report);
    this.emit({ type: 'layer', report });
    return report;
  }

  /** The services as they are live, for a report that changed none. */
  private async describe(report: LayerReport): Promise<void> {
    const live = await readLive(this.api, report.layer);
    for (const { configuration, offerings } of live.services) {
      if (!configuration.type) continue;
      const [offering] = offerings;
      report.services.push({ type: configuration.type, configurationId: configuration.id, offering });
      for (const url of offering?.urls ?? []) if (url.type) report.urls[url.type] = url.url;
    }
  }

  /** A dry run: what the plan would do, and where the layer lies now. */
  private planOnly(report: LayerReport): LayerReport {
    const { update } = this;
    report.action =
      update.kind === 'unchanged' || update.kind === 'stale'
        ? 'would leave unchanged'
        : update.kind === 'created'
          ? 'would create'
          : 'would update';
    if (update.live) report.currentExtent = update.live.bbox;
    const parameters = Object.entries(report.parameters).map(([k, v]) => `${k}=${v}`);
    const steps = update.services.map((s) => `${s.type}: configuration ${s.configuration}, offering ${s.offering}`).join('; ');
    const types = update.services.map((s) => s.type).join(', ');
    const verb = update.kind === 'created' ? 'created' : 'updated';
    if (builds(update.kind))
      this.emit({
        type: 'info',
        message: `Layer ${report.layer} would be ${verb} (${types}) with a pyramid built with ${parameters.join(', ')}`,
      });
    else this.emit({ type: 'info', message: `Layer ${report.layer}: no pyramid would be built (${update.kind})` });
    if (steps) this.emit({ type: 'info', message: `Services: ${steps}` });
    this.emit({ type: 'layer', report });
    return report;
  }

  /** Each service brought to its steps, its offering PUBLISHED (since its sync). */
  private async serve(report: LayerReport, storedData: StoredData): Promise<void> {
    const { options } = this;
    const steps = this.update.services;
    this.emit({ type: 'phase', phase: 'configure', title: `Configure ${steps.map((s) => s.type).join(' and ')}` });
    const endpoints = await this.api.endpoints();
    const services = new ServicePublisher(this.api, options, this.update, this.emit, (first, onTimeout) =>
      this.pollOptions(first, onTimeout),
    );
    for (const step of steps) {
      const endpoint = endpointFor(endpoints, step, options.public);
      const configuration = await services.configure(step, storedData, step.live);
      this.emit({ type: 'phase', phase: 'publish', title: `Publish ${step.type}` });
      const offering = await services.offer(step, configuration, endpoint, step.live);
      report.services.push({ type: step.type, configurationId: configuration.id, offering });
      for (const url of offering.urls) if (url.type) report.urls[url.type] = url.url;
      this.emit({ type: 'layer', report });
    }
  }

  /** What the layer owns and nothing uses any more; then the upload, once the pyramid holds its data. */
  private async clean(report: LayerReport, storedData: StoredData): Promise<void> {
    this.emit({ type: 'phase', phase: 'clean', title: 'Clean up' });
    try {
      report.deletedPyramids = await cleanUp(this.api, report.layer, new Set([storedData.id]), this.emit, this.options.signal);
    } catch (error) {
      this.emit({
        type: 'warning',
        message: `The layer's earlier pyramids could not be listed (${errorText(error)}); the next run tries again`,
      });
    }
    if (!this.upload || !builds(this.update.kind) || this.options.keepUpload) return;
    await this.options.deleteUpload(this.upload.id);
    report.uploadDeleted = true;
    this.emit({ type: 'info', message: `Deleted upload ${this.upload.id}: the pyramid holds the data now, and the quota is freed` });
  }

  /** A wait of the chain: within `processing-timeout`, a forgiven failed read said in a warning. */
  private pollOptions(firstPauseMs: number, onTimeout: () => TimeoutError): PollOptions {
    return {
      firstPauseMs,
      withinMs: this.options.processingTimeoutMs,
      onTimeout,
      signal: this.options.signal,
      onForgiven: (error) => this.emit({ type: 'warning', message: `A read failed (${errorText(error)}); trying again` }),
    };
  }
}

/** The datastore's endpoint for a service: its type, open or private as asked. */
function endpointFor(endpoints: Endpoint[], step: ServiceStep, open: boolean): Endpoint {
  const endpoint = endpoints.find((e) => e.type === step.type && e.open === open);
  if (!endpoint)
    throw new LayerStateError(
      `The datastore has no ${open ? 'open' : 'private'} ${step.type} endpoint to publish on; set public: ${!open}, or ask IGN to add one`,
    );
  return endpoint;
}
