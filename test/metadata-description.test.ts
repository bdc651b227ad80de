import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../scripts/action-runner.js';
import { describe as describeRecord, fileIdentifierOf } from '../src/catalogue/description.js';
import { fieldChanges } from '../src/catalogue/fields.js';
import { renderRecord } from '../src/catalogue/record.js';
import { scaleDenominator } from '../src/catalogue/facts.js';
import { DESCRIPTION } from './support/catalogue.js';

// The metadata YAML's schema (README, "The metadata record"): every problem said at once, one line
// each naming the field and the fix; and what the record's fields and changes read.

const problemsOf = (text: string): string[] => {
  try {
    describeRecord('meta.yml', text);
  } catch (error) {
    return (error as Error).message.replace(/^Input 'metadata': /, '').split('\n');
  }
  return [];
};

describe('the metadata description', () => {
  it('a description with only the required fields and a few more: the defaults filled in', () => {
    const description = describeRecord('meta.yml', DESCRIPTION);
    expect(description).toMatchObject({
      title: 'Orthophotographie 2024',
      organisation: { name: 'Ville de X', email: 'sig@ville-x.fr' },
      contactEmail: 'sig@ville-x.fr',
      creationDate: '2024-06-30',
      language: 'fre',
      level: 'dataset',
      inspire: false,
      openData: false,
    });
  });

  it("the README's complete description and the demo's sample are valid", async () => {
    const readme = await readFile(path.join(ROOT, 'README.md'), 'utf8');
    const block = /```yaml\n(title: [\s\S]*?)```/.exec(readme);
    expect(block, "the README's description").toBeTruthy();
    expect(describeRecord('README', block![1])).toMatchObject({ identifier: 'ortho-2024', scaleDenominator: 1000, productionYear: '2024' });
    const sample = await readFile(path.join(ROOT, 'samples', 'catalogue', 'orthophoto.yml'), 'utf8');
    expect(describeRecord('sample', sample).title).toBe('Orthophotographie de démonstration');
  });

  it('every problem at once, one line each, naming the field and the fix', () => {
    const text = [
      'title: Ortho',
      'organisation: {name: Ville, email: not-an-address}',
      'topic-categories: [imagery]',
      'creation-date: 30/06/2024',
      'maintenance-frequency: sometimes',
      'inspire: yes please',
      'titel: typo',
    ].join('\n');
    expect(problemsOf(text)).toEqual([
      "meta.yml: field 'organisation.email' is 'not-an-address', not an e-mail address",
      "meta.yml: field 'creation-date' is '30/06/2024', not a date; write it as 2024-06-30",
      "meta.yml: field 'abstract' is missing; add abstract: <a few sentences on what the data is>",
      `meta.yml: field 'topic-categories' has imagery, not among ${'farming'}, biota, boundaries, climatologyMeteorologyAtmosphere, economy, elevation, environment, geoscientificInformation, health, imageryBaseMapsEarthCover, intelligenceMilitary, inlandWaters, location, oceans, planningCadastre, society, structure, transportation, utilitiesCommunication`,
      "meta.yml: field 'maintenance-frequency' is 'sometimes', not one of continual, daily, weekly, fortnightly, monthly, quarterly, biannually, annually, asNeeded, irregular, notPlanned, unknown",
      "meta.yml: field 'inspire' is not true or false",
      "meta.yml: field 'titel' is not one of the record's fields (title, abstract, identifier, organisation, contact-email, topic-categories, inspire-themes, keywords, creation-date, maintenance-frequency, lineage, language, level, scale-denominator, inspire, open-data, producer, production-year)",
    ]);
  });

  it('not YAML, or not a mapping: one line saying so', () => {
    expect(problemsOf('title: [unclosed')).toEqual([expect.stringMatching(/^meta\.yml is not valid YAML \(.+\); fix it$/)]);
    expect(problemsOf('- a list')).toEqual([expect.stringMatching(/^meta\.yml is not a YAML mapping of fields/)]);
  });

  it('the identifier takes the datastore’s prefix and a dot; one that cannot be an identifier is refused', () => {
    const source = { kind: 'yaml' as const, path: 'meta.yml', description: describeRecord('meta.yml', DESCRIPTION) };
    expect(fileIdentifierOf(source, 'ortho_2024', undefined)).toBe('ortho_2024');
    expect(fileIdentifierOf(source, 'ortho_2024', 'VILLEX')).toBe('VILLEX.ortho_2024');
    const own = { ...source, description: { ...source.description, identifier: 'VILLEX.ortho' } };
    expect(fileIdentifierOf(own, 'ortho_2024', 'VILLEX')).toBe('VILLEX.ortho');
    expect(() => fileIdentifierOf(source, 'ortho 2024', undefined)).toThrow(/may hold only letters, digits/);
  });
});

describe('the record’s fields', () => {
  const input = {
    fileIdentifier: 'ortho',
    description: describeRecord('meta.yml', DESCRIPTION),
    extent: [2.3, 48.8, 2.4, 48.9] as [number, number, number, number],
    services: [{ protocol: 'OGC:WMTS' as const, url: 'https://data.geopf.fr/wmts', layerName: 'ortho', open: true }],
    dateStamp: '2026-12-06T10:00:00',
  };

  it('a new record: every field it sets is a change; the same record written later: none, whatever its dateStamp', () => {
    const xml = renderRecord(input);
    expect(fieldChanges(undefined, xml).map((c) => c.field)).toEqual(
      expect.arrayContaining(['fileIdentifier', 'title', 'abstract', 'extent', 'services', 'topicCategories', 'inspireThemes']),
    );
    expect(fieldChanges(xml, renderRecord({ ...input, dateStamp: '2027-01-01T00:00:00' }))).toEqual([]);
  });

  it('a change the fields do not show is still one: "other elements"', () => {
    const xml = renderRecord(input);
    const edited = xml.replace('codeListValue="grid"', 'codeListValue="vector"');
    expect(fieldChanges(xml, edited)).toEqual([
      { field: 'other elements', before: 'as the datastore holds them', after: 'as the repository gives them' },
    ]);
  });

  it('the scale denominator of a pixel: the pixel over 0.28 mm, to two significant digits', () => {
    expect(scaleDenominator(0.2)).toBe(710);
    expect(scaleDenominator(5)).toBe(18000);
    expect(scaleDenominator(undefined)).toBeUndefined();
  });
});
