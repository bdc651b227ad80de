// `npm test` runs this first: the tools the tests call. git-lfs for the tests of Git LFS checkouts
// (GitHub's runners have it), xmllint to check the metadata records are well-formed XML. On a
// machine without one, it is installed from Debian's packages when this runs as root; otherwise
// this says how, and the test run stops.
import { execFileSync } from 'node:child_process';

const TOOLS = [
  { name: 'git-lfs', check: ['git', ['lfs', 'version']], apt: 'git-lfs', brew: 'git-lfs' },
  { name: 'xmllint', check: ['xmllint', ['--version']], apt: 'libxml2-utils', brew: 'libxml2' },
];

const has = ([command, args]) => {
  try {
    execFileSync(command, args, { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};

const missing = TOOLS.filter((tool) => !has(tool.check));
if (missing.length && process.getuid?.() === 0) {
  const packages = missing.map((tool) => tool.apt).join(' ');
  console.log(`${missing.map((tool) => tool.name).join(', ')} missing: installing (apt-get install ${packages})`);
  execFileSync('sh', ['-c', `apt-get update -qq && apt-get install -y -qq ${packages} >/dev/null`], { stdio: 'inherit' });
}
const still = TOOLS.filter((tool) => !has(tool.check));
if (still.length) {
  for (const tool of still)
    console.error(
      `The tests need ${tool.name}: install it (apt-get install ${tool.apt}, or brew install ${tool.brew}), then run npm test again`,
    );
  process.exit(1);
}
