import { errorText, LayerStateError, TimeoutError } from '../shared/errors.js';
import type { LayerApi } from '../entrepot/layers.js';
import type { Configuration, ServiceType, StoredData, Upload } from '../entrepot/types.js';
import type { PollOptions } from '../http/poll.js';
import { previewUrl } from './preview.js';
import { PyramidBuilder, TAG_REPLACES } from './pyramid.js';
import { ServicePublisher } from './services.js';
import { SERVICE_TYPE_OF, type LayerEvent, type LayerOptions, type LayerPlan, type LayerReport } from './types.js';

/**
 * From a CLOSED upload to a served layer, as IGN's developer guides chain it (docs/api.md,
 * "Layers"): build a ROK4 pyramid from the upload, point one configuration per service at it
 * (created the first time, replaced in full on later merges), publish or re-synchronise their
 * offerings, then delete the upload and the pyramid the layer used before. The pyramid and the
 * upload carry tags that let a re-run pick up where an earlier one stopped. Knows nothing of
 * GitHub: it emits events and returns a report.
 */

type Emit = (event: LayerEvent) => void;

export async function publishLayer(
  api: LayerApi,
  upload: Upload | undefined,
  options: LayerOptions,
  plan: LayerPlan,
  emit: Emit = () => undefined,
): Promise<LayerReport> {
  return new LayerRun(api, upload, options, plan, emit).execute();
}

class LayerRun {
  constructor(
    private readonly api: LayerApi,
    private readonly upload: Upload | undefined,
    private readonly options: LayerOptions,
    private readonly plan: LayerPlan,
    private readonly emit: Emit,
  ) {}

  async execute(): Promise<LayerReport> {
    const layer = this.options.layer as string;
    this.emit({ type: 'phase', phase: 'pyramid', title: `Build the pyramid of layer ${layer}` });
    const types = this.options.services.map((s) => SERVICE_TYPE_OF[s]);
    const existing = new Map<ServiceType, Configuration>();
    for (const type of types) {
      const [configuration] = await this.api.configurationsOf(layer, type);
      if (configuration) existing.set(type, configuration);
    }
    const report: LayerReport = {
      layer,
      action: existing.size ? 'updated' : 'created',
      parameters: this.plan.parameters,
      services: [],
      deletedPyramids: [],
      uploadDeleted: false,
      urls: {},
    };
    const update = this.plan.update;
    if (update) report.update = { kind: update.kind, why: update.why, changed: update.files.length };
    // The `update` and `changed` outputs as soon as they are known, whatever fails after.
    if (update) this.emit({ type: 'layer', report });
    if (this.options.dryRun || (!this.upload && update?.kind !== 'unchanged')) return this.planOnly(report, types, existing);
    if (update?.kind === 'unchanged' || !this.upload) return this.unchanged(report, types, existing, update?.live);

    const pyramids = new PyramidBuilder(this.api, this.options, this.plan, this.emit, (first, onTimeout) =>
      this.pollOptions(first, onTimeout),
    );
    const storedData = await pyramids.build(this.upload, existing);
    report.storedData = storedData;
    this.emit({ type: 'stored-data', storedData });
    const replaced = new Set<string>((storedData.tags[TAG_REPLACES] ?? '').split(',').filter(Boolean));
    await this.serve(report, types, storedData, existing);
    await this.cleanUp(report, this.upload, replaced);
    report.preview = this.options.public ? previewUrl(report, storedData, this.options.compression) : undefined;
    this.emit({ type: 'layer', report });
    return report;
  }

  /** Nothing to send or build: the report describes the live layer as it is. */
  private async unchanged(
    report: LayerReport,
    types: ServiceType[],
    existing: Map<ServiceType, Configuration>,
    live?: StoredData,
  ): Promise<LayerReport> {
    report.action = 'unchanged';
    report.storedData = live;
    if (live) this.emit({ type: 'stored-data', storedData: live });
    for (const type of types) {
      const configuration = existing.get(type);
      if (!configuration) continue;
      const [offering] = await this.api.offeringsOf(configuration.id);
      report.services.push({ type, configurationId: configuration.id, offering });
      for (const url of offering?.urls ?? []) if (url.type) report.urls[url.type] = url.url;
    }
    this.emit({ type: 'info', message: `Layer ${report.layer} is left as it is: ${report.update?.why ?? 'nothing changed'}` });
    this.emit({ type: 'layer', report });
    return report;
  }

  /** A dry run: whether the layer would be created or updated, with which parameters, and where it lies now. */
  private async planOnly(report: LayerReport, types: ServiceType[], existing: Map<ServiceType, Configuration>): Promise<LayerReport> {
    report.action = report.update?.kind === 'unchanged' ? 'would leave unchanged' : existing.size ? 'would update' : 'would create';
    const live = [...existing.values()][0]?.usedData[0]?.stored_data;
    if (live) report.currentExtent = (await this.api.storedData(live).catch(() => undefined))?.bbox;
    const parameters = Object.entries(report.parameters).map(([k, v]) => `${k}=${v}`);
    const verb = existing.size ? 'updated' : 'created';
    if (report.update) this.emit({ type: 'info', message: `Update of layer ${report.layer}: ${report.update.kind}, ${report.update.why}` });
    this.emit({
      type: 'info',
      message: `Layer ${report.layer} would be ${verb} (${types.join(', ')}) with a pyramid built with ${parameters.join(', ')}`,
    });
    this.emit({ type: 'layer', report });
    return report;
  }

  /** Each service: its configuration pointed at the pyramid, its offering PUBLISHED. */
  private async serve(
    report: LayerReport,
    types: ServiceType[],
    storedData: StoredData,
    existing: Map<ServiceType, Configuration>,
  ): Promise<void> {
    const { options } = this;
    this.emit({ type: 'phase', phase: 'configure', title: `Configure ${types.join(' and ')}` });
    const endpoints = await this.api.endpoints();
    const services = new ServicePublisher(this.api, options, this.emit, (first, onTimeout) => this.pollOptions(first, onTimeout));
    for (const type of types) {
      const endpoint = endpoints.find((e) => e.type === type && e.open === options.public);
      if (!endpoint)
        throw new LayerStateError(
          `The datastore has no ${options.public ? 'open' : 'private'} ${type} endpoint to publish on; set public: ${!options.public}, or ask IGN to add one`,
        );
      const configuration = await services.configure(type, storedData, existing.get(type));
      this.emit({ type: 'phase', phase: 'publish', title: `Publish ${type}` });
      const offering = await services.offer(configuration, endpoint.id, existing.has(type));
      report.services.push({ type, configurationId: configuration.id, offering });
      for (const url of offering.urls) if (url.type) report.urls[url.type] = url.url;
      this.emit({ type: 'layer', report });
    }
  }

  /** The pyramids the layer used before, once nothing uses them; then the upload, unless kept. */
  private async cleanUp(report: LayerReport, upload: Upload, replaced: Set<string>): Promise<void> {
    this.emit({ type: 'phase', phase: 'clean', title: 'Clean up' });
    for (const old of replaced) {
      try {
        await this.api.deleteStoredData(old);
        report.deletedPyramids.push(old);
        this.emit({ type: 'info', message: `Deleted the previous pyramid ${old}: nothing uses it any more` });
      } catch (error) {
        this.emit({ type: 'warning', message: `The previous pyramid ${old} was kept: ${errorText(error)}` });
      }
    }
    if (this.options.keepUpload) return;
    await this.options.deleteUpload(upload.id);
    report.uploadDeleted = true;
    this.emit({ type: 'info', message: `Deleted upload ${upload.id}: the pyramid holds the data now, and the quota is freed` });
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
