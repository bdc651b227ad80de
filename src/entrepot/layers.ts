import { ApiError } from '../shared/errors.js';
import type { Reconciled } from '../http/retry.js';
import { entityId, toConfiguration, toEndpoints, toOffering, toParameters, toPyramidExecution, toStoredData } from './shapes.js';
import { logLines } from './status.js';
import { asRecord, DONE, NOT_DONE, parseJson, type Transport } from './transport.js';
import type { Configuration, Endpoint, Offering, ProcessingParameter, PyramidExecution, ServiceType, StoredData } from './types.js';

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
  createConfiguration(body: Record<string, unknown>): Promise<Configuration>;
  replaceConfiguration(configuration: Configuration, body: Record<string, unknown>): Promise<void>;
  offeringsOf(configurationId: string): Promise<Offering[]>;
  createOffering(configurationId: string, endpointId: string, open: boolean): Promise<Offering>;
  syncOffering(offeringId: string): Promise<void>;
  offering(offeringId: string): Promise<Offering>;
  endpoints(): Promise<Endpoint[]>;
  within(signal: AbortSignal): LayerApi;
}

const PAGE = 100;

export class LayersClient implements LayerApi {
  constructor(private readonly transport: Transport) {}

  within(signal: AbortSignal): LayerApi {
    return new LayersClient(this.transport.within(signal));
  }

  async processings(): Promise<Array<{ id: string; name: string }>> {
    const items = await this.transport.getAll('/processings', {}, PAGE);
    return Promise.all(
      items.map(async (item) => {
        const record = asRecord(item);
        const processingId = entityId(record, 'a processing');
        // `name` is a base field of the list; an item without it is read whole rather than nameless.
        const named =
          typeof record.name === 'string'
            ? record
            : asRecord(
                await this.transport.readJson(`read processing ${processingId}`, `/processings/${encodeURIComponent(processingId)}`),
              );
        return { id: processingId, name: String(named.name ?? '') };
      }),
    );
  }

  async processingParameters(processingId: string): Promise<ProcessingParameter[]> {
    const route = `/processings/${encodeURIComponent(processingId)}`;
    return this.transport.readJson(`read processing ${processingId}`, route, toParameters);
  }

  async createExecution(body: Record<string, unknown>, outputName: string): Promise<PyramidExecution> {
    const { value } = await this.transport.retry.write(
      `create the pyramid ${outputName}`,
      async () =>
        toPyramidExecution(
          parseJson(await this.transport.request('POST', '/processings/executions', { json: body }), 'POST', '/processings/executions'),
        ),
      // Not idempotent: a stored data of our (run-unique) name means the execution was made.
      async (): Promise<Reconciled<PyramidExecution>> => {
        const made = (await this.storedDataNamed(outputName))[0];
        if (!made) return NOT_DONE;
        const execution = (await this.executionsProducing(made.id))[0];
        return execution ? { done: true, value: execution } : NOT_DONE;
      },
    );
    return value;
  }

  async launchExecution(executionId: string): Promise<void> {
    await this.transport.retry.write(
      `launch execution ${executionId}`,
      async () => void (await this.transport.request('POST', `/processings/executions/${encodeURIComponent(executionId)}/launch`)),
      // Launched once it is no longer CREATED; a second launch is refused.
      async () => ((await this.pyramidExecution(executionId)).status === 'CREATED' ? NOT_DONE : DONE),
    );
  }

  async pyramidExecution(executionId: string): Promise<PyramidExecution> {
    const route = `/processings/executions/${encodeURIComponent(executionId)}`;
    return this.transport.readJson(`read execution ${executionId}`, route, toPyramidExecution);
  }

  async executionsProducing(storedDataId: string): Promise<PyramidExecution[]> {
    const items = await this.transport.getAll('/processings/executions', { output_stored_data: storedDataId }, PAGE);
    const executions = await Promise.all(items.map((item) => this.pyramidExecution(String((item as { _id?: unknown })._id))));
    return executions.filter((e) => e.storedDataId === storedDataId);
  }

  async executionLogs(executionId: string): Promise<string[]> {
    try {
      return logLines(await this.transport.getAll(`/processings/executions/${encodeURIComponent(executionId)}/logs`, {}, PAGE, true));
    } catch (error) {
      // Logs may not be there yet (docs/api.md): none rather than a failure.
      if (error instanceof ApiError && error.status === 404) return [];
      throw error;
    }
  }

  async storedData(storedDataId: string): Promise<StoredData> {
    const route = `/stored_data/${encodeURIComponent(storedDataId)}`;
    return this.transport.readJson(`read stored data ${storedDataId}`, route, toStoredData);
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
    await this.transport.retry.write(
      `tag stored data ${storedDataId}`,
      async () => void (await this.transport.request('POST', `/stored_data/${encodeURIComponent(storedDataId)}/tags`, { json: tags })),
      async () => {
        const held = (await this.storedData(storedDataId)).tags;
        return Object.entries(tags).every(([k, v]) => held[k] === v) ? DONE : NOT_DONE;
      },
      [],
    );
  }

  async deleteStoredData(storedDataId: string): Promise<void> {
    await this.transport.retry.write(
      `delete stored data ${storedDataId}`,
      async () => void (await this.transport.request('DELETE', `/stored_data/${encodeURIComponent(storedDataId)}`)),
      async () => {
        try {
          const { status } = await this.storedData(storedDataId);
          return status === 'DELETED' ? DONE : NOT_DONE;
        } catch (error) {
          if (error instanceof ApiError && error.status === 404) return DONE;
          throw error;
        }
      },
      [404],
    );
  }

  async dependencies(storedDataId: string): Promise<{ usedBy: string[]; uses: string[] }> {
    const route = `/stored_data/${encodeURIComponent(storedDataId)}/dependencies`;
    return this.transport.readJson(`read the dependencies of ${storedDataId}`, route, (body) => {
      // `{used_by: [{_id, name}], use: [...]}` (docs/api.md, "Layers"); ids alone are accepted too.
      const ids = (value: unknown) => (Array.isArray(value) ? value.map((v) => (typeof v === 'string' ? v : String(asRecord(v)._id))) : []);
      const record = asRecord(body);
      return { usedBy: ids(record.used_by), uses: ids(record.use) };
    });
  }

  async configurationsOf(layerName: string, type: ServiceType): Promise<Configuration[]> {
    const items = await this.transport.getAll('/configurations', { layer_name: layerName, type }, PAGE);
    // The layer_name filter may match more than the exact name (docs/api.md, "Listing uploads"); an
    // item that names another layer or type is not ours. The rest are read whole: a list item has
    // no used data (docs/api.md, "List items"), and one may lack even its layer name.
    const candidates = items
      .map(asRecord)
      .filter((r) => (typeof r.layer_name !== 'string' || r.layer_name === layerName) && (typeof r.type !== 'string' || r.type === type));
    const read = await Promise.all(candidates.map((r) => this.configuration(entityId(r, 'a configuration'))));
    return read.filter((c) => c.layerName === layerName && c.type === type);
  }

  async configuration(configurationId: string): Promise<Configuration> {
    return this.transport.readJson(
      `read configuration ${configurationId}`,
      `/configurations/${encodeURIComponent(configurationId)}`,
      toConfiguration,
    );
  }

  async createConfiguration(body: Record<string, unknown>): Promise<Configuration> {
    const layerName = String(body.layer_name);
    const type = body.type as ServiceType;
    const { value } = await this.transport.retry.write(
      `create the ${type} configuration of ${layerName}`,
      async () =>
        toConfiguration(parseJson(await this.transport.request('POST', '/configurations', { json: body }), 'POST', '/configurations')),
      // layer_name is unique per type: one of ours means it was made.
      async (): Promise<Reconciled<Configuration>> => {
        const made = (await this.configurationsOf(layerName, type))[0];
        return made ? { done: true, value: made } : NOT_DONE;
      },
    );
    return value;
  }

  async replaceConfiguration(configuration: Configuration, body: Record<string, unknown>): Promise<void> {
    const wanted = JSON.stringify((body.type_infos as { used_data?: unknown })?.used_data);
    await this.transport.retry.write(
      `update the configuration of ${configuration.layerName}`,
      async () => void (await this.transport.request('PUT', `/configurations/${encodeURIComponent(configuration.id)}`, { json: body })),
      async () => (JSON.stringify((await this.configuration(configuration.id)).usedData) === wanted ? DONE : NOT_DONE),
      [],
    );
  }

  async offeringsOf(configurationId: string): Promise<Offering[]> {
    const items = await this.transport.getAll(`/configurations/${encodeURIComponent(configurationId)}/offerings`, {}, PAGE);
    // A list item has no endpoint and no urls (docs/api.md, "List items"; the portal reads each
    // offering's detail before using its endpoint): read each one whole. A configuration has one or two.
    return Promise.all(items.map((item) => this.offering(entityId(asRecord(item), 'an offering'))));
  }

  async createOffering(configurationId: string, endpointId: string, open: boolean): Promise<Offering> {
    const route = `/configurations/${encodeURIComponent(configurationId)}/offerings`;
    const { value } = await this.transport.retry.write(
      `publish configuration ${configurationId}`,
      async () =>
        toOffering(parseJson(await this.transport.request('POST', route, { json: { endpoint: endpointId, open } }), 'POST', route)),
      // One offering per configuration and endpoint: one there means it was made.
      async (): Promise<Reconciled<Offering>> => {
        const made = (await this.offeringsOf(configurationId)).find((o) => o.endpointId === endpointId);
        return made ? { done: true, value: made } : NOT_DONE;
      },
    );
    return value;
  }

  async syncOffering(offeringId: string): Promise<void> {
    await this.transport.retry.write(
      `synchronise offering ${offeringId}`,
      async () => void (await this.transport.request('PUT', `/offerings/${encodeURIComponent(offeringId)}`)),
      // Being modified means the synchronisation was asked.
      async () => ((await this.offering(offeringId)).status === 'MODIFYING' ? DONE : NOT_DONE),
      [],
    );
  }

  async offering(offeringId: string): Promise<Offering> {
    return this.transport.readJson(`read offering ${offeringId}`, `/offerings/${encodeURIComponent(offeringId)}`, toOffering);
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
    const items = await this.transport.getAll('/stored_data', { ...query, type: 'ROK4-PYRAMID-RASTER', fields: needed.join(',') }, PAGE);
    const candidates = items.map(asRecord).filter((record) => !needed.every((field) => field in record) || keep(toStoredData(record)));
    const found = await Promise.all(candidates.map((record) => this.storedData(entityId(record, 'a stored data'))));
    return found.filter((sd) => sd.status !== 'DELETED' && keep(sd));
  }
}
