import type { UploadsApi } from '../entrepot/uploads.js';
import type { Upload } from '../entrepot/types.js';
import { errorText } from '../shared/errors.js';
import { PROVENANCE_KEYS } from '../shared/provenance.js';
import type { PublishEmit } from './types.js';

/**
 * An upload-only workflow leaves one CLOSED upload behind each merge, all in the upload space: the
 * run says how many earlier ones of this name this repository made remain, and with
 * `retain-uploads: N` deletes all but the N newest. Only uploads whose provenance tags say this
 * repository made them are counted or deleted; never one another repository or a person made.
 */
export interface Retention {
  /** Earlier CLOSED uploads of the name this repository made, left after the run. */
  remaining: number;
  remainingBytes: number;
  deleted: string[];
}

export async function retainUploads(
  api: UploadsApi,
  current: Upload,
  options: { name: string; repository?: string; keep: number | 'all' },
  emit: PublishEmit,
): Promise<Retention | undefined> {
  if (!options.repository) return undefined;
  const earlier = (await api.uploadsNamed(options.name))
    .filter((u) => u.id !== current.id && u.status === 'CLOSED' && u.tags[PROVENANCE_KEYS.repository] === options.repository)
    .sort((a, b) => (b.lastEventDate ?? '').localeCompare(a.lastEventDate ?? ''));
  // This run's upload is one of the N kept.
  const kept = options.keep === 'all' ? earlier : earlier.slice(0, Math.max(0, options.keep - 1));
  const deleted: string[] = [];
  for (const upload of earlier.filter((u) => !kept.includes(u))) {
    try {
      await api.deleteUpload(upload.id);
      deleted.push(upload.id);
    } catch (error) {
      emit({ type: 'warning', message: `Earlier upload ${upload.id} was kept: ${errorText(error)}; the next run tries again` });
      kept.push(upload);
    }
  }
  const retention = { remaining: kept.length, remainingBytes: kept.reduce((sum, u) => sum + (u.size ?? 0), 0), deleted };
  emit({ type: 'retention', ...retention, keep: options.keep });
  return retention;
}
