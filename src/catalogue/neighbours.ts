import { DATASHEET_TAG } from '../config/inputs.js';
import type { LayerApi } from '../entrepot/layers.js';
import type { Endpoint } from '../entrepot/types.js';
import { recordService } from './services.js';
import type { RecordService } from './types.js';

/**
 * The fiche's other layers, as the portal builds a record from them (docs/catalogue.md, "The
 * fiche"): every configuration tagged with the fiche's name that has an offering is one online
 * resource, and its pyramid's extent is part of the record's. Two layers of one fiche then write
 * the same record, rather than each its own in turn.
 */

export interface FicheNeighbours {
  services: RecordService[];
  /** The other layers' pyramids' extents, [west, south, east, north]. */
  extents: Array<[number, number, number, number]>;
}

export async function ficheNeighbours(api: LayerApi, datasheet: string, layer: string, endpoints: Endpoint[]): Promise<FicheNeighbours> {
  const others = (await api.configurationsTagged({ [DATASHEET_TAG]: datasheet })).filter((c) => c.type && c.layerName !== layer);
  const services: RecordService[] = [];
  const pyramids = new Set<string>();
  for (const configuration of others) {
    const type = configuration.type;
    const [offering] = await api.offeringsOf(configuration.id);
    if (!type || !offering) continue;
    const endpoint = endpoints.find((e) => e.id === offering.endpointId);
    const service = recordService(
      type,
      configuration.layerName,
      [...(endpoint?.urls ?? []), ...offering.urls],
      offering.open ?? endpoint?.open ?? true,
    );
    if (!service) continue;
    services.push(service);
    for (const used of configuration.usedData) pyramids.add(used.stored_data);
  }
  const extents = (await Promise.all([...pyramids].map((id) => api.storedData(id).catch(() => undefined)))).flatMap((sd) =>
    sd?.bbox ? [sd.bbox] : [],
  );
  return { services, extents };
}
