import { execFileSync } from 'node:child_process';
import type { Emulator } from '../../emulator/server.js';

/** What the catalogue tests share: a description, XPath through xmllint, the writes a run made. */

export const DESCRIPTION = `title: Orthophotographie 2024
abstract: |
  Orthophotographie de 20 cm de la ville, prises de vues de juin 2024.
organisation:
  name: Ville de X
  email: sig@ville-x.fr
topic-categories: [imageryBaseMapsEarthCover]
inspire-themes: [Orthoimagerie]
keywords: [orthophoto, "2024"]
creation-date: 2024-06-30
maintenance-frequency: annually
lineage: Prises de vues aériennes de juin 2024, orthorectifiées.
`;

/** The XPath's string value in `xml` (xmllint, an independent reader). */
export function xpath(xml: string, expression: string): string {
  return execFileSync('xmllint', ['--xpath', expression, '-'], { input: xml, encoding: 'utf8' }).trim();
}
export const el = (name: string) => `*[local-name()='${name}']`;

/** Writes other than reads and tokens, by route name. */
export function writesSince(emu: Emulator, since: number): string[] {
  return emu.requests
    .slice(since)
    .filter((r) => r.method !== 'GET' && r.route !== 'token')
    .map((r) => r.route);
}
