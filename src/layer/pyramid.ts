import { InputError, list, PyramidFailedError, TimeoutError, LayerStateError } from '../shared/errors.js';
import type { LayerApi } from '../entrepot/layers.js';
import { errorLinesOf, FAILED_EXECUTION_STATUSES, splitLogLine } from '../entrepot/status.js';
import type { Configuration, ProcessingParameter, ServiceType, StoredData, Upload } from '../entrepot/types.js';
import type { LayerEvent, LayerOptions, LayerPlan, UpdatePlan } from './types.js';
import { poll, type PollOptions } from '../http/poll.js';
import { parametersTag, TAG_CHAIN, TAG_PARAMETERS } from './update.js';

/**
 * The ROK4 pyramid of an upload (docs/api.md, "Layers"): found again by its tags when an earlier
 * run made it, else an execution created, its output tagged and launched; then awaited until the
 * execution is SUCCESS and the stored data GENERATED, within `processing-timeout`.
 */

/** Found by name among the datastore's processings: ids differ between environments. */
export const PYRAMID_PROCESSING_NAME = 'Calcul de pyramide raster';

export async function prepareLayer(api: LayerApi, options: LayerOptions): Promise<LayerPlan> {
  const all = await api.processings();
  const found = all.find((p) => p.name === PYRAMID_PROCESSING_NAME);
  if (!found)
    throw new LayerStateError(
      `The datastore has no processing named '${PYRAMID_PROCESSING_NAME}' (it has ${list(all.map((p) => p.name)) || 'none'}); ask IGN to give the datastore access to it`,
    );
  return { processingId: found.id, parameters: checkParameters(options, await api.processingParameters(found.id)) };
}

/** The parameters to send, refused when the processing does not allow them. */
function checkParameters(options: LayerOptions, declared: ProcessingParameter[]): Record<string, string> {
  const wanted: Array<[input: string, name: string, value: string | undefined]> = [
    ['tms', 'tms', options.tms],
    ['compression', 'compression', options.compression],
    ['interpolation', 'interpolation', options.interpolation],
    ['bottom-level', 'bottom', options.bottomLevel],
    ['top-level', 'top', options.topLevel],
  ];
  const parameters: Record<string, string> = {};
  for (const [input, name, value] of wanted) {
    if (value === undefined) continue;
    parameters[name] = value;
    // A processing that does not list its parameters cannot be checked against: the server will say.
    if (declared.length === 0) continue;
    const spec = declared.find((p) => p.name === name);
    if (!spec) throw new InputError(input, `the processing '${PYRAMID_PROCESSING_NAME}' has no parameter '${name}'; remove ${input}`);
    if (spec.allowed && !spec.allowed.includes(value))
      throw new InputError(
        input,
        `'${value}' is not one the processing allows (${spec.allowed.join(', ')}); for example ${input}: ${spec.allowed[0]}`,
      );
    parameters[name] = value;
  }
  return parameters;
}

/** Tag keys the action sets on the pyramid: which layer, which upload, which pyramids it replaces. */
const TAG_LAYER = 'layer';
const TAG_UPLOAD = 'upload_id';
export const TAG_REPLACES = 'replaces';

export class PyramidBuilder {
  private readonly layer: string;

  constructor(
    private readonly api: LayerApi,
    private readonly options: LayerOptions,
    private readonly plan: LayerPlan,
    private readonly emit: (event: LayerEvent) => void,
    /** The chain's waits share their rules: within `processing-timeout`, forgiven failed reads said. */
    private readonly pollOptions: (firstPauseMs: number, onTimeout: () => TimeoutError) => PollOptions,
  ) {
    this.layer = options.layer as string;
  }

  /**
   * The pyramid of this upload: the one an earlier run built or started (found by its tags), or a
   * new one. A failed one is never built again from the same upload.
   */
  async build(upload: Upload, existing: Map<ServiceType, Configuration>): Promise<StoredData> {
    const mine = (await this.api.storedDataTagged({ [TAG_LAYER]: this.layer, [TAG_UPLOAD]: upload.id }))[0];
    if (mine) {
      this.emit({
        type: 'info',
        message: `Pyramid ${mine.id} was made from upload ${upload.id} by an earlier run (${mine.status}): going on with it`,
      });
      if (mine.status === 'GENERATED') return mine;
      const [execution] = await this.api.executionsProducing(mine.id);
      if (!execution) throw new LayerStateError(`Pyramid ${mine.id} (${mine.status}) has no execution that makes it; delete it and re-run`);
      if (execution.status === 'CREATED') await this.api.launchExecution(execution.id);
      return this.awaitPyramid(execution.id, mine.id);
    }
    const update = this.plan.update ?? { kind: 'full', why: '', files: [], chain: 0 };
    const replaces = update.kind === 'incremental' ? [] : await this.replaced(update.live, existing);
    const { executionId, storedDataId } = await this.start(upload, update, replaces);
    return this.awaitPyramid(executionId, storedDataId);
  }

  /**
   * What a new or full build replaces, newest first, so that each can be deleted once nothing uses
   * it: the live pyramid, the pyramids it references (its chain of incremental updates), and any
   * other pyramid a configuration of the layer uses.
   */
  private async replaced(live: StoredData | undefined, existing: Map<ServiceType, Configuration>): Promise<string[]> {
    const chain: string[] = [];
    for (let next = live?.id; next && !chain.includes(next);) {
      chain.push(next);
      next = (await this.api.dependencies(next)).uses[0];
    }
    const used = [...existing.values()].flatMap((c) => c.usedData.map((u) => u.stored_data));
    return [...new Set([...chain, ...used])];
  }

  /**
   * Creates the execution, tags its output stored data (how it is built, its place in a chain, what
   * it replaces), then launches it. An incremental update references the live pyramid and inherits
   * its parameters (`parameters: {}`, as IGN's guide sends them).
   */
  private async start(upload: Upload, update: UpdatePlan, replaces: string[]): Promise<{ executionId: string; storedDataId: string }> {
    const { api, options } = this;
    // Run-unique name: after a lost answer, a stored data of this name says the execution was made.
    const outputName = `${this.layer} ${upload.id}`;
    const chained = update.kind === 'incremental';
    const execution = await api.createExecution(
      {
        processing: this.plan.processingId,
        inputs: { upload: [upload.id], ...(chained ? { stored_data: [update.live?.id] } : {}) },
        output: { stored_data: { name: outputName, storage_tags: ['PYRAMIDE'] } },
        parameters: chained ? {} : this.plan.parameters,
      },
      outputName,
    );
    // The answer names its output; one that does not is found by its run-unique name.
    const storedDataId = execution.storedDataId ?? (await api.storedDataNamed(outputName))[0]?.id;
    if (!storedDataId)
      throw new LayerStateError(`Execution ${execution.id} names no output stored data, and none is named '${outputName}'`);
    const others = replaces.filter((id) => id !== storedDataId);
    // Tagged before launch, as the portal does: a re-run finds it, and knows what it replaces.
    await api.tagStoredData(storedDataId, {
      ...options.tags,
      [TAG_LAYER]: this.layer,
      [TAG_UPLOAD]: upload.id,
      [TAG_PARAMETERS]: parametersTag(this.plan.parameters),
      [TAG_CHAIN]: String(update.chain),
      ...(others.length ? { [TAG_REPLACES]: others.join(',') } : {}),
    });
    this.emit({ type: 'stored-data', storedData: await api.storedData(storedDataId) });
    await api.launchExecution(execution.id);
    return { executionId: execution.id, storedDataId };
  }

  /** Polls until the execution is SUCCESS and its stored data GENERATED, within `processing-timeout`. */
  private awaitPyramid(executionId: string, storedDataId: string): Promise<StoredData> {
    const minutes = Math.round(this.options.processingTimeoutMs / 60_000);
    let last = '';
    const timeout = () =>
      new TimeoutError(
        `The pyramid was not built within ${minutes} min (input 'processing-timeout'); last status ${last || 'WAITING'}. Re-run to keep waiting: the same pyramid is awaited, not built again`,
      );
    return poll(this.pollOptions(this.options.pollIntervalMs, timeout), async (signal) => {
      const api = this.api.within(signal);
      // The stored data first: it turns UNSTABLE with its execution's FAILURE, so an execution
      // read after it is already final when the stored data says it failed.
      const storedData = await api.storedData(storedDataId);
      const execution = await api.pyramidExecution(executionId);
      const state = `${execution.status}/${storedData.status}`;
      if (state !== last)
        this.emit({ type: 'info', message: `Pyramid ${storedDataId}: execution ${execution.status}, stored data ${storedData.status}` });
      last = state;
      if (execution.status === 'SUCCESS' && storedData.status === 'GENERATED') return { state, value: storedData };
      if (FAILED_EXECUTION_STATUSES.has(execution.status) || storedData.status === 'UNSTABLE') {
        // Within the deadline, like every read of the wait.
        const lines = await api.executionLogs(executionId).catch(() => [] as string[]);
        throw new PyramidFailedError(
          executionId,
          errorLinesOf(lines).map((l) => splitLogLine(l).message),
          execution.status,
        );
      }
      return { state };
    });
  }
}
