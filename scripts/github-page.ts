import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ROOT } from './action-runner.js';

/**
 * Writes `docs/<name>.html`, the `html` body in GitHub's own Markdown styles (the
 * github-markdown-css package, light theme: a `pre` does not wrap, as on GitHub), then, when
 * Chromium is installed (apt-get install chromium), its screenshot `docs/<name>.png` for the README.
 */
export async function renderGitHubPage(name: string, title: string, html: string, windowHeight: number): Promise<void> {
  const file = path.join(ROOT, 'docs', `${name}.html`);
  const page = `<!doctype html><meta charset="utf-8"><title>${title}</title>
<link rel="stylesheet" href="../node_modules/github-markdown-css/github-markdown-light.css">
<style>
body { margin: 0; padding: 24px; background: #f6f8fa; }
.markdown-body { box-sizing: border-box; max-width: 980px; border: 1px solid #d1d9e0; border-radius: 6px; padding: 16px 32px 24px; }
</style>
<article class="markdown-body">
${html}
</article>`;
  // Written as Prettier formats it, so that `npm run format:check` passes after a render.
  const prettier = await import('prettier');
  await writeFile(file, await prettier.format(page, { ...(await prettier.resolveConfig(file)), filepath: file }));
  console.log(`${title} written to ${path.relative(ROOT, file)}`);

  const chromium = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));
  if (!chromium) return console.log('Chromium not found: no screenshot (apt-get install chromium)');
  const png = path.join(ROOT, 'docs', `${name}.png`);
  execFileSync(
    chromium,
    [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--hide-scrollbars',
      `--user-data-dir=${path.join(ROOT, 'node_modules', '.chromium-profile')}`,
      `--window-size=1000,${windowHeight}`,
      `--screenshot=${png}`,
      `file://${file}`,
    ],
    { stdio: 'ignore' },
  );
  console.log(`Screenshot written to ${path.relative(ROOT, png)}`);
}
