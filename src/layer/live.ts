import { array, record, string } from '../entrepot/json.js';
import type { LayerApi } from '../entrepot/layers.js';
import { unlessGone } from '../entrepot/transport.js';
import { SERVICE_TYPES, type Configuration, type MetadataLink, type Offering, type StoredData } from '../entrepot/types.js';
import { PROVENANCE_KEYS } from '../shared/provenance.js';
import { COMMIT_ID } from '../workspace/changes.js';

/**
 * The live layer, read from the platform's own truth (docs/api.md, "Layers": updates): every
 * configuration of the layer name, of either service type, read whole; each one's offerings; each
 * pyramid a configuration uses, read whole (or missing), with the parameters of the execution that
 * produced it and the length of the chain below it (its dependencies). Tags are hints, validated:
 * a commit id is 40 or 64 hex characters, or it is unknown.
 */

export interface LiveService {
  configuration: Configuration;
  offerings: Offering[];
}

export interface LivePyramid {
  id: string;
  /** Undefined when the server no longer knows it (404). */
  storedData?: StoredData;
  /** The commit it reflects (its `github_sha` tag, when that is a commit id). */
  commit?: string;
  /** The parameters its execution ran with, when the server says. */
  parameters?: Readonly<Record<string, unknown>>;
  /** Pyramids below it, referenced one after the other (incremental updates in a row). */
  depth: number;
}

export interface LiveLayer {
  services: LiveService[];
  /** Every pyramid a configuration of the layer uses. */
  pyramids: Map<string, LivePyramid>;
}

/** Incremental updates are bounded by `rebuild-every` (at most 1000): a deeper chain is not walked. */
const MAX_DEPTH = 1000;

export async function readLive(api: LayerApi, layer: string): Promise<LiveLayer> {
  const configurations = (await Promise.all(SERVICE_TYPES.map((type) => api.configurationsOf(layer, type)))).flat();
  const services = await Promise.all(
    configurations.map(async (configuration) => ({ configuration, offerings: await api.offeringsOf(configuration.id) })),
  );
  const used = [...new Set(configurations.flatMap((c) => c.usedData.map((u) => u.stored_data)))];
  const pyramids = new Map<string, LivePyramid>();
  for (const id of used) pyramids.set(id, await readPyramid(api, id));
  return { services, pyramids };
}

async function readPyramid(api: LayerApi, id: string): Promise<LivePyramid> {
  const storedData = await unlessGone(() => api.storedData(id));
  if (!storedData) return { id, depth: 0 };
  const sha = storedData.tags[PROVENANCE_KEYS.sha];
  const [execution] = await api.executionsProducing(id).catch(() => []);
  return {
    id,
    storedData,
    commit: sha && COMMIT_ID.test(sha) ? sha : undefined,
    parameters: execution?.parameters,
    depth: await chainDepth(api, id),
  };
}

/** How many pyramids lie below `id` along its references (every `use` entry); unknown reads as 0. */
async function chainDepth(api: LayerApi, id: string): Promise<number> {
  let level = [id];
  const seen = new Set(level);
  for (let depth = 0; depth < MAX_DEPTH; depth++) {
    const next: string[] = [];
    for (const one of level) {
      const { uses } = await api.dependencies(one).catch(() => ({ uses: [] as string[] }));
      for (const below of uses)
        if (!seen.has(below)) {
          next.push(below);
          seen.add(below);
        }
    }
    if (next.length === 0) return depth;
    level = next;
  }
  return MAX_DEPTH;
}

/** A service's title and abstract as its configuration holds them. */
export function settingsOf(configuration: Configuration): { title?: string; abstract?: string; keywords: string[]; links: MetadataLink[] } {
  const infos = record(configuration.raw.type_infos);
  return {
    title: string(infos.title),
    abstract: string(infos.abstract),
    keywords: array(infos.keywords).flatMap((k) => string(k) ?? []),
    links: linksOf(configuration),
  };
}

/** A configuration's `metadata[]`, the entries it holds (a malformed one kept as it is by the PUT, not read here). */
export function linksOf(configuration: Configuration): MetadataLink[] {
  return array(configuration.raw.metadata).flatMap((value) => {
    const item = record(value);
    const [format, url, type] = [string(item.format), string(item.url), string(item.type)];
    return format && url && type ? [{ format, url, type }] : [];
  });
}

/**
 * What every configuration carries for the fiche's record: the links to it (the CSW GetRecordById
 * and the catalogue's page; others' entries kept) and its keywords in `type_infos.keywords`.
 */
export interface ConfigurationCatalogue {
  links: MetadataLink[];
  /** A link the action made for this layer's record before: replaced, not kept beside the new one. */
  ownsLink: (link: MetadataLink) => boolean;
  keywords: string[];
}

/** Whether the configuration carries the record's links and keywords as asked (none asked: it does). */
export function carriesCatalogue(configuration: Configuration, catalogue: ConfigurationCatalogue | undefined): boolean {
  if (!catalogue) return true;
  const { keywords, links } = settingsOf(configuration);
  const same = (a: MetadataLink, b: MetadataLink) => a.url === b.url && a.type === b.type && a.format === b.format;
  const stale = links.some((link) => catalogue.ownsLink(link) && !catalogue.links.some((wanted) => same(wanted, link)));
  return (
    !stale &&
    catalogue.links.every((wanted) => links.some((link) => same(wanted, link))) &&
    keywords.length === catalogue.keywords.length &&
    keywords.every((k, i) => k === catalogue.keywords[i])
  );
}
