// `npm test` runs this first: the tests of Git LFS checkouts need git-lfs, as GitHub's runners have
// it. On a machine without it, it is installed from Debian's packages when this runs as root;
// otherwise this says how, and the test run stops.
import { execFileSync } from 'node:child_process';

const has = () => {
  try {
    execFileSync('git', ['lfs', 'version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};

if (!has()) {
  if (process.getuid?.() === 0) {
    console.log('git-lfs is missing: installing it (apt-get install git-lfs)');
    execFileSync('sh', ['-c', 'apt-get update -qq && apt-get install -y -qq git-lfs >/dev/null'], { stdio: 'inherit' });
  }
  if (!has()) {
    console.error('The tests need git-lfs: install it (apt-get install git-lfs, or brew install git-lfs), then run npm test again');
    process.exit(1);
  }
}
