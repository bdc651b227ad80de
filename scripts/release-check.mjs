// Checks that a release tag vX.Y.Z matches package.json and has a dated CHANGELOG entry; with
// --notes, prints that entry (the release notes). Plain Node, no dependency: the release workflow
// runs it before anything is published.
import { readFileSync } from 'node:fs';

const [tag, flag] = process.argv.slice(2);
const fail = (message) => {
  console.error(`::error::${message}`);
  process.exit(1);
};
const match = /^v(\d+\.\d+\.\d+)$/.exec(tag ?? '');
if (!match) fail(`'${tag}' is not a release tag vX.Y.Z`);
const version = match[1];
const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
if (pkg.version !== version) fail(`package.json says ${pkg.version}, the tag ${tag}: set "version": "${version}"`);
const changelog = readFileSync(new URL('../CHANGELOG.md', import.meta.url), 'utf8');
const heading = new RegExp(`^## \\[${version.replace(/\./g, '\\.')}\\] - (\\d{4}-\\d{2}-\\d{2})$`, 'm');
const found = heading.exec(changelog);
if (!found) fail(`CHANGELOG.md has no '## [${version}] - YYYY-MM-DD' entry`);
if (flag === '--notes') {
  const rest = changelog.slice(found.index + found[0].length);
  const next = rest.search(/^## \[/m);
  process.stdout.write(`${(next < 0 ? rest : rest.slice(0, next)).trim()}\n`);
} else {
  console.log(`${tag} matches package.json and CHANGELOG.md (${found[1]})`);
}
