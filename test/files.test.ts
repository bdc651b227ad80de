import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { commonRoot, findFiles, shardFiles, type LocalFile } from '../src/workspace/files.js';
import { makeWorkspace } from './support/workspace.js';

describe('findFiles', () => {
  it('computes data/ paths relative to the common root and ignores directories', async () => {
    const ws = await makeWorkspace({
      'rasters/a/one.tif': 'x',
      'rasters/a/b/two.tif': 'yy',
      'rasters/c/three.tif': 'zzz',
      'rasters/c/skip.tif': 'no',
      'other/readme.md': 'no',
    });
    const set = await findFiles(['rasters/**', '!rasters/c/skip.tif'], ws.dir);
    expect(set.root).toBe(path.join(ws.dir, 'rasters'));
    expect(set.files.map((f) => [f.remotePath, f.size])).toEqual([
      ['data/a/b/two.tif', 2],
      ['data/a/one.tif', 1],
      ['data/c/three.tif', 3],
    ]);
    await ws.cleanup();
  });

  it('leaves out the files GDAL writes beside rasters, and names them', async () => {
    const ws = await makeWorkspace({
      'rasters/a.tif': 'x',
      'rasters/a.tif.aux.xml': '<PAMDataset/>',
      'rasters/a.tif.ovr': 'o',
      'rasters/b.TIF.MSK': 'm',
      'rasters/b.TIF': 'y',
    });
    const set = await findFiles(['rasters/**'], ws.dir);
    expect(set.files.map((f) => f.remotePath)).toEqual(['data/a.tif', 'data/b.TIF']);
    expect(set.sideFiles).toEqual(['rasters/a.tif.aux.xml', 'rasters/a.tif.ovr', 'rasters/b.TIF.MSK']);
    await ws.cleanup();
  });

  it.each([
    [['rasters/**'], ['rasters/ortho/a.tif', 'rasters/ortho/2024/b.tif'], ['data/2024/b.tif', 'data/a.tif']],
    [['rasters/**'], ['rasters/ortho/a.tif', 'rasters/mnt/c.jp2'], ['data/mnt/c.jp2', 'data/ortho/a.tif']],
    [['rasters/ortho/*.tif'], ['rasters/ortho/a.tif', 'rasters/ortho/b.tif'], ['data/a.tif', 'data/b.tif']],
    [
      ['scans/s.tif', 'scans/s.tfw'],
      ['scans/s.tif', 'scans/s.tfw'],
      ['data/s.tfw', 'data/s.tif'],
    ],
  ])("the README's remote paths: %j over %j", async (patterns, present, remote) => {
    const ws = await makeWorkspace(Object.fromEntries(present.map((p) => [p, 'x'])));
    const set = await findFiles(patterns, ws.dir);
    expect(set.files.map((f) => f.remotePath)).toEqual(remote);
    await ws.cleanup();
  });

  it('brings nothing of a directory that a pattern matches', async () => {
    const ws = await makeWorkspace({ 'rasters/real.tif': 'x', 'rasters/fake.tif/inner.tif': 'y', 'rasters/dir/deep.tif': 'z' });
    const set = await findFiles(['rasters/*.tif', 'rasters/dir'], ws.dir);
    expect(set.files.map((f) => f.remotePath)).toEqual(['data/real.tif']);
    await ws.cleanup();
  });

  it('refuses a name holding a control character, escaped in the message', async () => {
    const ws = await makeWorkspace({ 'r/ok.tif': 'x', 'r/bad\r\nname.tif': 'y' });
    await expect(findFiles(['r/**'], ws.dir)).rejects.toThrow(
      "Input 'glob': matched 1 file whose name holds a control character (r/bad\\r\\nname.tif); rename it, or exclude it with a '!' pattern",
    );
    await ws.cleanup();
  });

  it('keeps names with spaces, accents and URL characters as they are', async () => {
    const ws = await makeWorkspace({ 'r/é t#&+%.tif': 'x', 'r/sub/b.tif': 'y' });
    const set = await findFiles(['r/**/*.tif'], ws.dir);
    expect(set.files.map((f) => f.remotePath)).toEqual(['data/sub/b.tif', 'data/é t#&+%.tif']);
    await ws.cleanup();
  });

  it('anchors patterns in a workspace whose path has glob characters', async () => {
    const ws = await makeWorkspace({ 'we[ird]*/r/a.tif': 'x' });
    const set = await findFiles(['r/*.tif'], path.join(ws.dir, 'we[ird]*'));
    expect(set.files.map((f) => f.remotePath)).toEqual(['data/a.tif']);
    await ws.cleanup();
  });

  it('uses the folder of a single file as the root', async () => {
    const ws = await makeWorkspace({ 'deep/down/only.tif': 'x' });
    expect((await findFiles(['**/*.tif'], ws.dir)).files[0].remotePath).toBe('data/only.tif');
    await ws.cleanup();
  });

  it('finds the common root', () => {
    expect(commonRoot(['/a/b/c', '/a/b/d', '/a/b'])).toBe('/a/b');
    expect(commonRoot(['/a/bc', '/a/b'])).toBe('/a');
    expect(commonRoot(['/x', '/y'])).toBe('/');
    expect(commonRoot(['/a/b', '/a/b/c/d', '/a/b/c'])).toBe('/a/b');
    expect(commonRoot(['/a/b/c/d', '/a/b/c/e/f', '/a/b/c/d'])).toBe('/a/b/c');
    expect(commonRoot(['/a/b/c'])).toBe('/a/b/c');
    expect(commonRoot(['/'])).toBe('/');
  });
});

describe('shardFiles', () => {
  const file = (remotePath: string, size: number): LocalFile => ({
    localPath: `/w/${remotePath}`,
    relativePath: remotePath.slice(5),
    remotePath,
    size,
    mtimeMs: 0,
  });
  const files = Array.from({ length: 40 }, (_, i) => file(`data/t${String(i).padStart(2, '0')}.tif`, 1000 + ((i * 7919) % 500)));
  files.push(file('data/t05.tfw', 30), file('data/t17.tfw', 30));

  it('splits every file into exactly one part, whatever the input order', () => {
    const parts = [1, 2, 3].map((index) => shardFiles(files, { index, count: 3 }).map((f) => f.remotePath));
    const shuffled = [...files].reverse();
    expect([1, 2, 3].map((index) => shardFiles(shuffled, { index, count: 3 }).map((f) => f.remotePath))).toEqual(parts);
    const all = parts.flat();
    expect(new Set(all).size).toBe(all.length);
    expect(all.sort()).toEqual(files.map((f) => f.remotePath).sort());
  });

  it('keeps a world file with its TIFF and balances bytes', () => {
    const parts = [1, 2, 3].map((index) => shardFiles(files, { index, count: 3 }));
    for (const stem of ['data/t05', 'data/t17']) {
      const holder = parts.findIndex((p) => p.some((f) => f.remotePath === `${stem}.tif`));
      expect(parts[holder].some((f) => f.remotePath === `${stem}.tfw`)).toBe(true);
    }
    const bytes = parts.map((p) => p.reduce((s, f) => s + f.size, 0));
    expect(Math.max(...bytes) - Math.min(...bytes)).toBeLessThan(1600);
  });
});
