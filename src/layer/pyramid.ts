import { InputError, list, PyramidFailedError, TimeoutError, LayerStateError } from '../shared/errors.js';
import type { LayerApi } from '../entrepot/layers.js';
import { errorLinesOf, FAILED_EXECUTION_STATUSES, splitLogLine } from '../entrepot/status.js';
import type { ProcessingParameter, StoredData, Upload } from '../entrepot/types.js';
import type { LayerEvent, LayerOptions, LayerPlan, UpdateOptions, UpdatePlan } from './types.js';
import { poll, type PollOptions } from '../http/poll.js';
import { parametersTag, TAG_CHAIN, TAG_PARAMETERS } from './update.js';

/**
 * The ROK4 pyramid of an upload (docs/api.md, "Layers"): found again by its tags when an earlier
 * run made it, else an execution created, its output tagged and launched; then awaited until the
 * execution is SUCCESS and the stored data GENERATED, within `processing-timeout`.
 */

/**
 * Found by name among the datastore's processings (ids differ between environments), under either
 * name the sources give it (docs/api.md, "Layers": the processing's name).
 */
const PYRAMID_PROCESSING_NAMES = ['Calcul de pyramide raster', 'Calcul ou mise à jour de pyramide raster'];
const PYRAMID_PROCESSING_NAME = PYRAMID_PROCESSING_NAMES[0];

export async function prepareLayer(api: LayerApi, options: LayerOptions & UpdateOptions): Promise<LayerPlan> {
  const all = await api.processings();
  const found = all.find((p) => PYRAMID_PROCESSING_NAMES.includes(p.name));
  if (!found)
    throw new LayerStateError(
      `The datastore has no processing named '${PYRAMID_PROCESSING_NAME}' (it has ${list(all.map((p) => p.name)) || 'none'}); ask IGN to give the datastore access to it`,
    );
  const declared = await api.processingParameters(found.id);
  const parameters = checkParameters(options, declared);
  return { processingId: found.id, parameters, body: typedParameters(parameters, declared) };
}

/**
 * Masks on a pyramid meant to be updated (IGN recommends them; an update cannot add them):
 * `mask: auto` asks for them unless every update is a full rebuild, when the processing has them.
 */
function maskValue(options: LayerOptions & UpdateOptions, declared: ProcessingParameter[]): string | undefined {
  if (options.mask === 'true' || options.mask === 'false') return options.mask;
  const known = declared.length === 0 || declared.some((p) => p.name === 'mask');
  return known && options.update !== 'full' ? 'true' : undefined;
}

/** Each value as the processing declares its type (`mask` is a string in one copy of the docs, a boolean in another). */
function typedParameters(parameters: Record<string, string>, declared: ProcessingParameter[]): Record<string, unknown> {
  const typed: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(parameters)) {
    const type = declared.find((p) => p.name === name)?.type;
    typed[name] = type === 'boolean' ? value === 'true' : type === 'integer' || type === 'number' ? Number(value) : value;
  }
  return typed;
}

/** The parameters to send, refused when the processing does not allow them. */
function checkParameters(options: LayerOptions & UpdateOptions, declared: ProcessingParameter[]): Record<string, string> {
  const wanted: Array<[input: string, name: string, value: string | undefined]> = [
    ['tms', 'tms', options.tms],
    ['compression', 'compression', options.compression],
    ['interpolation', 'interpolation', options.interpolation],
    ['bottom-level', 'bottom', options.bottomLevel],
    ['top-level', 'top', options.topLevel],
    ['mask', 'mask', maskValue(options, declared)],
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

/** Tag keys the action sets on the pyramid: which layer (what the clean-up owns), which upload, which attempt. */
export const TAG_LAYER = 'layer';
const TAG_UPLOAD = 'upload_id';
const TAG_ATTEMPT = 'attempt';
/** A pyramid of an upload that failed is built again once on a re-run; twice failed, the run says why. */
const MAX_ATTEMPTS = 2;

export class PyramidBuilder {
  private readonly layer: string;
  /** Whether a layer is live: a failure leaves it as it was. */
  private live = false;
  /** This build's attempt from its upload. */
  private attempt = 1;

  constructor(
    private readonly api: LayerApi,
    private readonly options: LayerOptions,
    private readonly plan: LayerPlan,
    private readonly emit: (event: LayerEvent) => void,
    /** The chain's waits share their rules: within `processing-timeout`, forgiven failed reads said. */
    private readonly pollOptions: (firstPauseMs: number, onTimeout: () => TimeoutError) => PollOptions,
  ) {
    this.layer = options.layer ?? '';
  }

  /**
   * The pyramid of this upload: the one an earlier run built or started (found by its tags), or a
   * new one. One whose execution ended FAILURE or ABORTED (a transient fault on the platform) is
   * built again once, and said; a second failure is the run's.
   */
  async build(upload: Upload, update: UpdatePlan): Promise<StoredData> {
    this.live = update.live !== undefined;
    const made = await this.api.storedDataTagged({ [TAG_LAYER]: this.layer, [TAG_UPLOAD]: upload.id });
    const generated = made.find((sd) => sd.status === 'GENERATED');
    if (generated) return this.resumed(generated, upload);
    const failed: Array<{ sd: StoredData; executionId?: string; status: string }> = [];
    for (const sd of made) {
      const [execution] = await this.api.executionsProducing(sd.id);
      if (!execution) continue;
      if (FAILED_EXECUTION_STATUSES.has(execution.status) || sd.status === 'UNSTABLE')
        failed.push({ sd, executionId: execution.id, status: execution.status });
      else {
        this.resumed(sd, upload);
        if (execution.status === 'CREATED') await this.api.launchExecution(execution.id);
        return this.awaitPyramid(execution.id, sd.id);
      }
    }
    if (failed.length >= MAX_ATTEMPTS) {
      const last = failed[failed.length - 1];
      const lines = last.executionId ? await this.api.executionLogs(last.executionId).catch(() => [] as string[]) : [];
      throw new PyramidFailedError(
        last.executionId ?? last.sd.id,
        errorLinesOf(lines).map((l) => splitLogLine(l).message),
        last.status,
        update.live !== undefined,
        true,
      );
    }
    if (failed.length)
      this.emit({
        type: 'warning',
        message: `Pyramid ${failed[0].sd.id} of upload ${upload.id} ended ${failed[0].status}: it is built again, once`,
      });
    this.attempt = failed.length + 1;
    const { executionId, storedDataId } = await this.start(upload, update, this.attempt);
    return this.awaitPyramid(executionId, storedDataId);
  }

  private resumed(sd: StoredData, upload: Upload): StoredData {
    this.emit({
      type: 'info',
      message: `Pyramid ${sd.id} was made from upload ${upload.id} by an earlier run (${sd.status}): going on with it`,
    });
    return sd;
  }

  /**
   * Creates the execution, tags its output stored data (its layer, upload and attempt; how it is
   * built, as a hint), then launches it. An incremental update references the live pyramid and
   * inherits its parameters (`parameters: {}`, as IGN's guide sends them).
   */
  private async start(upload: Upload, update: UpdatePlan, attempt: number): Promise<{ executionId: string; storedDataId: string }> {
    const { api, options } = this;
    // Run-unique name: after a lost answer, a stored data of this name says the execution was made.
    const outputName = `${this.layer} ${upload.id}${attempt > 1 ? ` #${attempt}` : ''}`;
    const chained = update.kind === 'incremental' && update.live !== undefined;
    const execution = await api.createExecution(
      {
        processing: this.plan.processingId,
        inputs: { upload: [upload.id], ...(chained ? { stored_data: [update.live?.id] } : {}) },
        output: { stored_data: { name: outputName, storage_tags: ['PYRAMIDE'] } },
        parameters: chained ? {} : this.plan.body,
      },
      outputName,
    );
    // The answer names its output; one that does not is found by its run-unique name.
    const storedDataId = execution.storedDataId ?? (await api.storedDataNamed(outputName))[0]?.id;
    if (!storedDataId)
      throw new LayerStateError(`Execution ${execution.id} names no output stored data, and none is named '${outputName}'`);
    // Tagged before launch, as the portal does: a re-run finds it, the clean-up knows it is the layer's.
    await api.tagStoredData(storedDataId, {
      ...options.tags,
      [TAG_LAYER]: this.layer,
      [TAG_UPLOAD]: upload.id,
      // The portal's history tags: its "Rapport de génération" shows this execution (docs/catalogue.md, "Other tags").
      proc_int_id: execution.id,
      proc_pyr_creat_id: execution.id,
      [TAG_ATTEMPT]: String(attempt),
      [TAG_PARAMETERS]: parametersTag(this.plan.parameters),
      [TAG_CHAIN]: String(update.chain),
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
          this.live,
          this.attempt >= MAX_ATTEMPTS,
        );
      }
      return { state };
    });
  }
}
