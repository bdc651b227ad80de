import { toConfiguration, toDependencies, toEndpoints, toOffering, toParameters, toPyramidExecution, toStoredData } from './shapes.js';
import { logLines } from './status.js';
import { waitFor } from '../http/retry.js';
import { record, text } from './json.js';
import { entityId, unlessGone, type Transport } from './transport.js';
import type {
  Configuration,
  ConfigurationBody,
  NewConfigurationBody,
  Endpoint,
  Offering,
  ProcessingParameter,
  PyramidExecution,
  ServiceType,
  StoredData,
} from './types.js';

/**
 * The routes from a CLOSED upload to a served layer (docs/api.md, "Layers"). Like the upload
 * routes, every call that changes the datastore is made at most once: after a lost answer the
 * server's state (the stored data of that name, the configurations of that layer, the offerings of
 * that configuration, an execution's status) says whether it was made.
 */
export interface LayerApi {
  processings(): Promise<Array<{ id: string; name: string }>>;
  processingParameters(processingId: string): Promise<ProcessingParameter[]>;
  /** Creates the execution and its output stored data, named `outputName` (unique to this run's upload). */
  createExecution(body: Record<string, unknown>, outputName: string): Promise<PyramidExecution>;
  launchExecution(executionId: string): Promise<void>;
  pyramidExecution(executionId: string): Promise<PyramidExecution>;
  executionsProducing(storedDataId: string): Promise<PyramidExecution[]>;
  executionLogs(executionId: string): Promise<string[]>;
  storedData(storedDataId: string): Promise<StoredData>;
  /** Live pyramids carrying every one of `tags`, read whole. */
  storedDataTagged(tags: Record<string, string>): Promise<StoredData[]>;
  /** Live pyramids named exactly `name`. */
  storedDataNamed(name: string): Promise<StoredData[]>;
  tagStoredData(storedDataId: string, tags: Record<string, string>): Promise<void>;
  deleteStoredData(storedDataId: string): Promise<void>;
  /** The pyramids that reference this one (`usedBy`), and those it references (`uses`). */
  dependencies(storedDataId: string): Promise<{ usedBy: string[]; uses: string[] }>;
  configurationsOf(layerName: string, type: ServiceType): Promise<Configuration[]>;
  /** Every configuration carrying all of `tags` (a fiche's services), read whole, the tags checked here. */
  configurationsTagged(tags: Record<string, string>): Promise<Configuration[]>;
  createConfiguration(body: NewConfigurationBody): Promise<Configuration>;
  replaceConfiguration(configuration: Configuration, body: ConfigurationBody): Promise<void>;
  /** Sets tags on a configuration (`datasheet_name`: what a fiche de données lists as its services). */
  tagConfiguration(configurationId: string, tags: Record<string, string>): Promise<void>;
  offeringsOf(configurationId: string): Promise<Offering[]>;
  createOffering(configurationId: string, endpointId: string, open: boolean): Promise<Offering>;
  /** Asks the servers to reload the offering's configuration; `isDone` tells, after a lost answer, whether they were asked. */
  syncOffering(offeringId: string, isDone: () => Promise<boolean>): Promise<void>;
  offering(offeringId: string): Promise<Offering>;
  /** Unpublishes the offering: UNPUBLISHING, then gone (docs/api.md, "Layers"); resolves once it is gone. */
  deleteOffering(offeringId: string): Promise<void>;
  endpoints(): Promise<Endpoint[]>;
  within(signal: AbortSignal): LayerApi;
}

const PAGE = 100;
/** How long an unpublished offering is watched until it is gone. */
const UNPUBLISH_MS = 120_000;

export class LayersClient implements LayerApi {
  constructor(private readonly transport: Transport) {}

  within(signal: AbortSignal): LayerApi {
    return new LayersClient(this.transport.within(signal));
  }

  async processings(): Promise<Array<{ id: string; name: string }>> {
    const read = async (id: string) => ({
      id,
      name: await this.transport.readJson(`read processing ${id}`, processingRoute(id), (body) => text(record(body).name)),
    });
    // `name` is a base field of the list; an item without it is read whole rather than nameless.
    return this.transport.listWhole('/processings', {}, PAGE, read, {
      what: 'a processing',
      fromItem: (item) => (typeof item.name === 'string' ? { id: entityId(item, 'a processing'), name: item.name } : undefined),
    });
  }

  async processingParameters(processingId: string): Promise<ProcessingParameter[]> {
    return this.transport.readJson(`read processing ${processingId}`, processingRoute(processingId), toParameters);
  }

  async createExecution(body: Record<string, unknown>, outputName: string): Promise<PyramidExecution> {
    // Not idempotent: a stored data of our (run-unique) name means the execution was made.
    return this.transport.create(`create the pyramid ${outputName}`, '/processings/executions', body, toPyramidExecution, async () => {
      const made = (await this.storedDataNamed(outputName))[0];
      return made ? (await this.executionsProducing(made.id))[0] : undefined;
    });
  }

  async launchExecution(executionId: string): Promise<void> {
    // Launched once it is no longer CREATED; a second launch is refused.
    await this.transport.change(
      `launch execution ${executionId}`,
      'POST',
      `${executionRoute(executionId)}/launch`,
      {},
      async () => (await this.pyramidExecution(executionId)).status !== 'CREATED',
      [409],
    );
  }

  async pyramidExecution(executionId: string): Promise<PyramidExecution> {
    return this.transport.readJson(`read execution ${executionId}`, executionRoute(executionId), toPyramidExecution);
  }

  async executionsProducing(storedDataId: string): Promise<PyramidExecution[]> {
    const executions = await this.transport.listWhole(
      '/processings/executions',
      { output_stored_data: storedDataId },
      PAGE,
      (id) => this.pyramidExecution(id),
      { what: 'an execution' },
    );
    return executions.filter((e) => e.storedDataId === storedDataId);
  }

  async executionLogs(executionId: string): Promise<string[]> {
    // Logs may not be there yet (docs/api.md): none rather than a failure.
    const lines = await unlessGone(() => this.transport.getAll(`${executionRoute(executionId)}/logs`, {}, PAGE, true));
    return lines ? logLines(lines) : [];
  }

  async storedData(storedDataId: string): Promise<StoredData> {
    return this.transport.readJson(`read stored data ${storedDataId}`, storedDataRoute(storedDataId), toStoredData);
  }

  async storedDataTagged(tags: Record<string, string>): Promise<StoredData[]> {
    const query = Object.fromEntries(Object.entries(tags).map(([k, v]) => [`tags[${k}]`, v]));
    // Filters may be looser than asked: keep what carries every tag, read from an answer that has them.
    return this.storedDataWhere(query, ['tags', 'status'], (sd) => Object.entries(tags).every(([k, v]) => sd.tags[k] === v));
  }

  async storedDataNamed(name: string): Promise<StoredData[]> {
    return this.storedDataWhere({ name }, ['name', 'status'], (sd) => sd.name === name);
  }

  async tagStoredData(storedDataId: string, tags: Record<string, string>): Promise<void> {
    await this.transport.tag(
      `tag stored data ${storedDataId}`,
      storedDataRoute(storedDataId),
      tags,
      async () => (await this.storedData(storedDataId)).tags,
    );
  }

  async deleteStoredData(storedDataId: string): Promise<void> {
    await this.transport.remove(`delete stored data ${storedDataId}`, storedDataRoute(storedDataId), async () => {
      const held = await unlessGone(() => this.storedData(storedDataId));
      return held === undefined || held.status === 'DELETED';
    });
  }

  async dependencies(storedDataId: string): Promise<{ usedBy: string[]; uses: string[] }> {
    return this.transport.readJson(
      `read the dependencies of ${storedDataId}`,
      `${storedDataRoute(storedDataId)}/dependencies`,
      toDependencies,
    );
  }

  async configurationsOf(layerName: string, type: ServiceType): Promise<Configuration[]> {
    // The layer_name filter may match more than the exact name (docs/api.md, "Listing uploads"); an
    // item that names another layer or type is not ours. The rest are read whole: a list item has
    // no used data (docs/api.md, "List items"), and one may lack even its layer name.
    const read = await this.transport.listWhole('/configurations', { layer_name: layerName, type }, PAGE, (id) => this.configuration(id), {
      what: 'a configuration',
      mayBeOurs: (item) =>
        (typeof item.layer_name !== 'string' || item.layer_name === layerName) && (typeof item.type !== 'string' || item.type === type),
    });
    return read.filter((c) => c.layerName === layerName && c.type === type);
  }

  async configurationsTagged(tags: Record<string, string>): Promise<Configuration[]> {
    const query = Object.fromEntries(Object.entries(tags).map(([k, v]) => [`tags[${k}]`, v]));
    // Read whole: a list item has no tags; a server that ignored the filter is caught here.
    const read = await this.transport.listWhole('/configurations', query, PAGE, (id) => this.configuration(id), {
      what: 'a configuration',
    });
    return read.filter((c) => Object.entries(tags).every(([k, v]) => c.tags[k] === v));
  }

  async configuration(configurationId: string): Promise<Configuration> {
    return this.transport.readJson(`read configuration ${configurationId}`, configurationRoute(configurationId), toConfiguration);
  }

  async createConfiguration(body: NewConfigurationBody): Promise<Configuration> {
    // layer_name is unique per type: one of ours means it was made.
    return this.transport.create(
      `create the ${body.type} configuration of ${body.layer_name}`,
      '/configurations',
      body,
      toConfiguration,
      async () => (await this.configurationsOf(body.layer_name, body.type))[0],
    );
  }

  async replaceConfiguration(configuration: Configuration, body: ConfigurationBody): Promise<void> {
    const wanted = JSON.stringify(body.type_infos.used_data);
    await this.transport.change(
      `update the configuration of ${configuration.layerName}`,
      'PUT',
      configurationRoute(configuration.id),
      { json: body },
      async () => JSON.stringify((await this.configuration(configuration.id)).usedData) === wanted,
    );
  }

  async tagConfiguration(configurationId: string, tags: Record<string, string>): Promise<void> {
    await this.transport.tag(
      `tag configuration ${configurationId}`,
      configurationRoute(configurationId),
      tags,
      async () => (await this.configuration(configurationId)).tags,
    );
  }

  async offeringsOf(configurationId: string): Promise<Offering[]> {
    // A list item has no endpoint and no urls (docs/api.md, "List items"; the portal reads each
    // offering's detail before using its endpoint): read each one whole. A configuration has one or two.
    return this.transport.listWhole(`${configurationRoute(configurationId)}/offerings`, {}, PAGE, (id) => this.offering(id), {
      what: 'an offering',
    });
  }

  async createOffering(configurationId: string, endpointId: string, open: boolean): Promise<Offering> {
    // One offering per configuration and endpoint: one there means it was made.
    return this.transport.create(
      `publish configuration ${configurationId}`,
      `${configurationRoute(configurationId)}/offerings`,
      { endpoint: endpointId, open },
      toOffering,
      async () => (await this.offeringsOf(configurationId)).find((o) => o.endpointId === endpointId),
    );
  }

  async syncOffering(offeringId: string, isDone: () => Promise<boolean>): Promise<void> {
    await this.transport.change(`synchronise offering ${offeringId}`, 'PUT', offeringRoute(offeringId), {}, isDone);
  }

  async offering(offeringId: string): Promise<Offering> {
    return this.transport.readJson(`read offering ${offeringId}`, offeringRoute(offeringId), toOffering);
  }

  async deleteOffering(offeringId: string): Promise<void> {
    const gone = async () => (await unlessGone(() => this.offering(offeringId))) === undefined;
    await this.transport.remove(`unpublish offering ${offeringId}`, offeringRoute(offeringId), gone);
    // The SDK and QGIS poll every second until the offering answers 404.
    await waitFor(gone, (isGone) => isGone, UNPUBLISH_MS, this.transport.retry.signal, 1000);
  }

  async endpoints(): Promise<Endpoint[]> {
    return this.transport.readJson('read the datastore', '', toEndpoints);
  }

  /**
   * The live pyramids of a filtered list that `keep` keeps, each read whole: a list item carries
   * neither `status` nor `tags`, nor the levels and extent a layer is configured with (docs/api.md,
   * "List items"). `needed` is asked with `fields=` only to pass over, unread, the items that are
   * not ours; a missing status is never taken for "not DELETED".
   */
  private async storedDataWhere(
    query: Record<string, string>,
    needed: readonly string[],
    keep: (sd: StoredData) => boolean,
  ): Promise<StoredData[]> {
    const found = await this.transport.listWhole(
      '/stored_data',
      { ...query, type: 'ROK4-PYRAMID-RASTER', fields: needed.join(',') },
      PAGE,
      (id) => this.storedData(id),
      { what: 'a stored data', mayBeOurs: (item) => !needed.every((field) => field in item) || keep(toStoredData(item)) },
    );
    return found.filter((sd) => sd.status !== 'DELETED' && keep(sd));
  }
}

const processingRoute = (id: string) => `/processings/${encodeURIComponent(id)}`;
const executionRoute = (id: string) => `/processings/executions/${encodeURIComponent(id)}`;
const storedDataRoute = (id: string) => `/stored_data/${encodeURIComponent(id)}`;
const configurationRoute = (id: string) => `/configurations/${encodeURIComponent(id)}`;
const offeringRoute = (id: string) => `/offerings/${encodeURIComponent(id)}`;
