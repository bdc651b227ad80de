import { XMLValidator } from 'fast-xml-parser';
import { parseDocument } from 'yaml';
import { InputError } from '../shared/errors.js';
import { readNamedFile } from '../workspace/files.js';
import { readFields } from './fields.js';
import type { RecordDescription, RecordSource } from './types.js';

/**
 * The record's source read from the workspace and checked before anything is sent: a YAML
 * description against its schema (README, "The metadata record"), one line per problem naming the
 * field and the fix; or an ISO 19139 file, well-formed and with a file identifier. The identifier
 * against the datastore's mandatory prefix is `checkIdentifier`, once the datastore is read.
 */

/** ISO 19115 MD_TopicCategoryCode. */
export const TOPIC_CATEGORIES = [
  'farming',
  'biota',
  'boundaries',
  'climatologyMeteorologyAtmosphere',
  'economy',
  'elevation',
  'environment',
  'geoscientificInformation',
  'health',
  'imageryBaseMapsEarthCover',
  'intelligenceMilitary',
  'inlandWaters',
  'location',
  'oceans',
  'planningCadastre',
  'society',
  'structure',
  'transportation',
  'utilitiesCommunication',
];

/** ISO 19115 MD_MaintenanceFrequencyCode. */
export const FREQUENCIES = [
  'continual',
  'daily',
  'weekly',
  'fortnightly',
  'monthly',
  'quarterly',
  'biannually',
  'annually',
  'asNeeded',
  'irregular',
  'notPlanned',
  'unknown',
];

const FIELDS = [
  'title',
  'abstract',
  'identifier',
  'organisation',
  'contact-email',
  'topic-categories',
  'inspire-themes',
  'keywords',
  'creation-date',
  'maintenance-frequency',
  'lineage',
  'language',
  'level',
  'scale-denominator',
  'inspire',
  'open-data',
  'producer',
  'production-year',
];

/** The portal's identifier pattern (docs/catalogue.md, "Identifier"). */
export const IDENTIFIER = /^[\w.-]+$/;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
/** Bigger than any record a user writes by hand; a bigger file is not one. */
const MAX_BYTES = 1024 * 1024;

/** The file `relative` names in the workspace, read and checked. */
export async function readRecordSource(workspace: string, relative: string): Promise<RecordSource> {
  const text = (
    await readNamedFile(workspace, relative, {
      input: 'metadata',
      maxBytes: MAX_BYTES,
      missingFix: "check the path (relative to the repository's root)",
      tooBig: "a file of at most 1 MB; give the record's description",
    })
  ).toString('utf8');
  if (/\.xml$/i.test(relative)) return xmlSource(relative, text);
  if (!/\.ya?ml$/i.test(relative))
    throw new InputError('metadata', `'${relative}' is neither .yml, .yaml nor .xml; name the YAML description or the ISO 19139 file`);
  return { kind: 'yaml', path: relative, description: describe(relative, text) };
}

/** The record's file identifier: the datastore's mandatory prefix, a dot, the identifier (docs/catalogue.md). */
export function fileIdentifierOf(source: RecordSource, layer: string, prefix: string | undefined): string {
  if (source.kind === 'xml') {
    checkIdentifier(source.fileIdentifier, prefix, `${source.path}'s gmd:fileIdentifier`);
    return source.fileIdentifier;
  }
  const own = source.description.identifier ?? layer;
  const identifier = prefix && !own.startsWith(`${prefix}.`) ? `${prefix}.${own}` : own;
  checkIdentifier(identifier, prefix, `${source.path}'s identifier`);
  return identifier;
}

/** Refused before anything is sent: an identifier the datastore would refuse, said with its fix. */
export function checkIdentifier(identifier: string, prefix: string | undefined, where: string): void {
  if (!IDENTIFIER.test(identifier))
    throw new InputError('metadata', `${where} '${identifier}' may hold only letters, digits, '_', '-' and '.'`);
  if (prefix && !(identifier.startsWith(`${prefix}.`) && identifier.length > prefix.length + 1))
    throw new InputError('metadata', `${where} '${identifier}' must start with this datastore's prefix: write ${prefix}.${identifier}`);
}

function xmlSource(relative: string, xml: string): RecordSource {
  const valid = XMLValidator.validate(xml);
  if (valid !== true)
    throw new InputError(
      'metadata',
      `${relative} is not well-formed XML (line ${valid.err.line}: ${valid.err.msg}); fix it or give a YAML description`,
    );
  const fields = readFields(xml);
  if (!fields.fileIdentifier)
    throw new InputError('metadata', `${relative} has no gmd:MD_Metadata/gmd:fileIdentifier/gco:CharacterString; the platform needs one`);
  return { kind: 'xml', path: relative, xml, fileIdentifier: fields.fileIdentifier, inspire: false, openData: false };
}

/** The YAML checked against the schema: every problem, one line each, in one error. */
export function describe(relative: string, text: string): RecordDescription {
  const document = parseDocument(text, { prettyErrors: false });
  if (document.errors.length) {
    const [first] = document.errors;
    throw new InputError('metadata', `${relative} is not valid YAML (${first.message.split('\n')[0]}); fix it`);
  }
  const raw: unknown = document.toJS();
  if (!raw || typeof raw !== 'object' || Array.isArray(raw))
    throw new InputError('metadata', `${relative} is not a YAML mapping of fields (title: …, abstract: …); see the README's example`);
  const problems: string[] = [];
  const yaml = new Fields(raw as Record<string, unknown>, problems);
  const description = yaml.read();
  for (const key of Object.keys(raw).sort())
    if (!FIELDS.includes(key)) problems.push(`field '${key}' is not one of the record's fields (${FIELDS.join(', ')})`);
  if (problems.length) throw new InputError('metadata', problems.map((problem) => `${relative}: ${problem}`).join('\n'));
  return description;
}

/** Reads the fields one by one, noting what is wrong rather than stopping at the first. */
class Fields {
  constructor(
    private readonly raw: Record<string, unknown>,
    private readonly problems: string[],
  ) {}

  read(): RecordDescription {
    const organisation = this.raw.organisation;
    const org = organisation && typeof organisation === 'object' ? (organisation as Record<string, unknown>) : undefined;
    if (!org)
      this.problems.push("field 'organisation' is missing; add organisation: {name: <who produces the data>, email: <their address>}");
    const orgName = org ? this.text(org, 'name', 'organisation.name', 'the producing organisation') : '';
    const orgEmail = org ? this.email(org, 'email', 'organisation.email') : '';
    const creationDate = this.text(this.raw, 'creation-date', 'creation-date', 'the date the data was made, as 2024-06-30');
    if (creationDate && (!/^\d{4}-\d{2}-\d{2}$/.test(creationDate) || Number.isNaN(Date.parse(creationDate))))
      this.problems.push(`field 'creation-date' is '${creationDate}', not a date; write it as 2024-06-30`);
    const identifier = this.optional('identifier');
    if (identifier !== undefined && !IDENTIFIER.test(identifier))
      this.problems.push(`field 'identifier' '${identifier}' may hold only letters, digits, '_', '-' and '.'`);
    const scale = this.raw['scale-denominator'];
    if (scale !== undefined && !(Number.isInteger(scale) && (scale as number) > 0))
      this.problems.push("field 'scale-denominator' is not a whole number; write the scale's denominator, for example 1000");
    return {
      title: this.text(this.raw, 'title', 'title', "the data's name, for example Orthophotographie 2024"),
      abstract: this.text(this.raw, 'abstract', 'abstract', 'a few sentences on what the data is'),
      identifier,
      organisation: { name: orgName, email: orgEmail },
      contactEmail: this.raw['contact-email'] === undefined ? orgEmail : this.email(this.raw, 'contact-email', 'contact-email'),
      topicCategories: this.list('topic-categories', TOPIC_CATEGORIES, true),
      inspireThemes: this.list('inspire-themes'),
      keywords: this.list('keywords'),
      creationDate,
      maintenanceFrequency: this.choice('maintenance-frequency', FREQUENCIES, 'unknown'),
      lineage: this.optional('lineage'),
      language: this.choice('language', undefined, 'fre'),
      level: this.choice('level', ['dataset', 'series'], 'dataset') as RecordDescription['level'],
      scaleDenominator: typeof scale === 'number' ? scale : undefined,
      inspire: this.flag('inspire'),
      openData: this.flag('open-data'),
      producer: this.optional('producer'),
      productionYear: this.optional('production-year'),
    };
  }

  private text(from: Record<string, unknown>, key: string, name: string, what: string): string {
    const value = from[key];
    if (value === undefined || value === null || (typeof value === 'string' && !value.trim())) {
      this.problems.push(`field '${name}' is missing; add ${name}: <${what}>`);
      return '';
    }
    if (typeof value !== 'string' && typeof value !== 'number') {
      this.problems.push(`field '${name}' is not text; write ${name}: <${what}>`);
      return '';
    }
    // A YAML date (2024-06-30) parses as a string here: the document is read with the core schema.
    return String(value).trim();
  }

  private email(from: Record<string, unknown>, key: string, name: string): string {
    const value = this.text(from, key, name, 'an e-mail address');
    if (value && !EMAIL.test(value)) this.problems.push(`field '${name}' is '${value}', not an e-mail address`);
    return value;
  }

  private optional(key: string): string | undefined {
    const value = this.raw[key];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'string' && typeof value !== 'number') {
      this.problems.push(`field '${key}' is not text`);
      return undefined;
    }
    return String(value).trim() || undefined;
  }

  private list(key: string, allowed?: string[], required = false): string[] {
    const value = this.raw[key];
    if (value === undefined || value === null) {
      if (required) this.problems.push(`field '${key}' is missing; add at least one of ${allowed?.join(', ')}`);
      return [];
    }
    const items = Array.isArray(value) ? value : [value];
    if (items.some((item) => typeof item !== 'string' || !item.trim())) {
      this.problems.push(`field '${key}' is not a list of words; write ${key}: [first, second]`);
      return [];
    }
    const words = [...new Set((items as string[]).map((item) => item.trim()))];
    const unknown = allowed ? words.filter((word) => !allowed.includes(word)) : [];
    if (unknown.length) this.problems.push(`field '${key}' has ${unknown.join(', ')}, not among ${allowed?.join(', ')}`);
    if (required && words.length === 0) this.problems.push(`field '${key}' is empty; add at least one of ${allowed?.join(', ')}`);
    return words;
  }

  private choice(key: string, allowed: string[] | undefined, fallback: string): string {
    const value = this.optional(key) ?? fallback;
    if (allowed && !allowed.includes(value)) this.problems.push(`field '${key}' is '${value}', not one of ${allowed.join(', ')}`);
    if (!allowed && !/^[a-z]{3}$/.test(value))
      this.problems.push(`field '${key}' is '${value}', not a three-letter ISO 639-2 code such as fre`);
    return value;
  }

  private flag(key: string): boolean {
    const value = this.raw[key];
    if (value === undefined) return false;
    if (typeof value !== 'boolean') this.problems.push(`field '${key}' is not true or false`);
    return value === true;
  }
}
