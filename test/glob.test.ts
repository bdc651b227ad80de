import * as glob from '@actions/glob';
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, stat, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { matchFiles } from '../src/workspace/glob.js';

/**
 * The walk must give what @actions/glob's Globber gives (regular files, matchDirectories: false,
 * implicitDescendants: false, links followed) for every pattern set: the same tree is matched by
 * both and the answers compared.
 */
let root: string;

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'walk-'));
  const files = [
    'rasters/a.tif',
    'rasters/b.TIF',
    'rasters/b.tfw',
    'rasters/.hidden.tif',
    'rasters/deep/er/c.jp2',
    'rasters/deep/er/c.jp2.aux.xml',
    'rasters/[x]/y.tif',
    'rasters/star*/z.tif',
    'rasters/with space/é.tif',
    'other/d.tif',
    'other/notes.txt',
  ];
  for (const file of files) {
    await mkdir(path.join(root, path.dirname(file)), { recursive: true });
    await writeFile(path.join(root, file), file);
  }
  await mkdir(path.join(root, 'rasters', 'empty'), { recursive: true });
  await symlink(path.join(root, 'other', 'd.tif'), path.join(root, 'rasters', 'linked.tif'));
  await symlink(path.join(root, 'other'), path.join(root, 'rasters', 'linked-dir'));
  await symlink(path.join(root, 'rasters'), path.join(root, 'rasters', 'deep', 'loop'));
  await symlink(path.join(root, 'nowhere.tif'), path.join(root, 'rasters', 'broken.tif'));
  execFileSync('mkfifo', [path.join(root, 'rasters', 'pipe.tif')]);
});

async function globberFiles(patterns: string): Promise<string[]> {
  const globber = await glob.create(patterns, { matchDirectories: false, implicitDescendants: false, followSymbolicLinks: true });
  const regular: string[] = [];
  for (const p of await globber.glob()) if ((await stat(p)).isFile()) regular.push(p);
  return [...new Set(regular)].sort();
}

const patternSets = [
  'rasters/**',
  'rasters/*',
  'rasters/**/*.tif',
  'rasters/**/*.[tT][iI][fF]',
  'rasters/**\n!rasters/deep/**',
  'rasters/**\n!rasters/**/*.xml\n# a comment\n\n  other/*.tif  ',
  '**/*.jp2',
  'rasters/[[]x]/*',
  'rasters/star[*]/z.tif',
  'rasters/with space/*',
  'rasters/?.tif',
  'rasters/deep',
  'rasters/deep/',
  'rasters/a.tif\nrasters/a.tif',
  'missing/**',
  'rasters/linked-dir/**',
  'rasters/**\n!rasters/linked*',
  '!rasters/**',
];

describe('matchFiles', () => {
  it.each(patternSets)('matches what @actions/glob matches: %j', async (set) => {
    const absolute = set
      .split('\n')
      .map((line) => {
        const t = line.trim();
        if (!t || t.startsWith('#')) return line;
        return t.startsWith('!') ? `!${path.join(root, t.slice(1))}` : path.join(root, t);
      })
      .join('\n');
    const walked = (await matchFiles(absolute)).map((f) => f.path).sort();
    expect(walked).toEqual(await globberFiles(absolute));
  });

  it('gives each file its size and modification time, following links to their target', async () => {
    const [linked] = await matchFiles(path.join(root, 'rasters', 'linked.tif'));
    const target = await stat(path.join(root, 'other', 'd.tif'));
    expect(linked).toEqual({ path: path.join(root, 'rasters', 'linked.tif'), size: target.size, mtimeMs: target.mtimeMs, linked: true });
  });

  it('walks a cycle of links once, and skips broken links and FIFOs', async () => {
    const walked = (await matchFiles(path.join(root, 'rasters', '**'))).map((f) => path.relative(root, f.path));
    expect(walked.filter((p) => p.includes('loop'))).toEqual([]);
    expect(walked).not.toContain('rasters/broken.tif');
    expect(walked).not.toContain('rasters/pipe.tif');
    expect(walked).toContain('rasters/linked-dir/d.tif');
  });
});
