import type { ServiceType } from '../entrepot/types.js';
import type { RecordService } from './types.js';

/** How a record names a layer's service: the protocol the catalogue reads, and the URL type it takes. */
const PROTOCOL = { 'WMTS-TMS': 'OGC:WMTS', 'WMS-RASTER': 'OGC:WMS' } as const;
const URL_TYPE = { 'WMTS-TMS': 'WMTS', 'WMS-RASTER': 'WMS' } as const;

/**
 * One online resource: the first URL of the service's type among `urls` (an endpoint's first, then
 * an offering's), without its query (an endpoint, not a GetMap template); none without a URL.
 */
export function recordService(
  type: ServiceType,
  layerName: string,
  urls: ReadonlyArray<{ type: string; url: string }>,
  open: boolean,
): RecordService | undefined {
  const url = urls.find((u) => u.type === URL_TYPE[type])?.url;
  return url ? { protocol: PROTOCOL[type], url: withoutDoubledSlashes(url.split('?')[0]), layerName, open } : undefined;
}

/** Doubled slashes after the scheme dropped, as the portal does with the endpoints' URLs. */
export function withoutDoubledSlashes(url: string): string {
  return url.replace(/([^:])\/{2,}/g, '$1/');
}
