import { execFileSync } from 'node:child_process';
import { rm, writeFile, mkdtemp, appendFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { changesSince } from '../src/workspace/changes.js';
import { findFiles } from '../src/workspace/files.js';
import { harness } from './support/harness.js';

// What changed since the live pyramid's commit, read from git on real repositories (issue 20).

const { workspace, defer } = harness();
const git = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, encoding: 'utf8' }).trim();
const PATTERNS = ['rasters/**/*.tif'];

/** A repository of three tiles and a README, committed; resolves with the commit. */
async function repository(): Promise<{ dir: string; first: string }> {
  const dir = await workspace(
    {
      'rasters/a.tif': 'fixture:geotiff-2154.tif',
      'rasters/b.tif': 'fixture:geotiff-2154.tif',
      'rasters/sub/c.tif': 'fixture:geotiff-2154.tif',
      'README.md': '# tiles\n',
    },
    false,
  );
  git(dir, 'init', '-q', '-b', 'main');
  git(dir, 'add', '-A');
  git(dir, '-c', 'user.name=t', '-c', 'user.email=t@e', 'commit', '-q', '-m', 'first');
  return { dir, first: git(dir, 'rev-parse', 'HEAD') };
}
const commit = (dir: string, message: string) => {
  git(dir, 'add', '-A');
  git(dir, '-c', 'user.name=t', '-c', 'user.email=t@e', 'commit', '-q', '-m', message);
};
const read = async (dir: string, since: string) => {
  const files = (await findFiles(PATTERNS, dir)).files;
  const reading = await changesSince(since, dir, PATTERNS, files, { readLfs: true });
  if (!reading.ok) throw new Error(reading.why);
  const { added, modified, deleted } = reading.changes;
  return { added: added.map((f) => f.relativePath), modified: modified.map((f) => f.relativePath), deleted };
};

describe('changes since a commit', () => {
  it('a modified and an added tile, by blob id; a change outside the patterns is none', async () => {
    const { dir, first } = await repository();
    await appendFile(path.join(dir, 'rasters', 'b.tif'), Buffer.alloc(10, 1));
    await writeFile(path.join(dir, 'rasters', 'd.tif'), 'new');
    await writeFile(path.join(dir, 'README.md'), '# other\n');
    commit(dir, 'second');
    expect(await read(dir, first)).toEqual({ added: ['d.tif'], modified: ['b.tif'], deleted: [] });
    // The same files, touched but not changed: nothing.
    expect(await read(dir, git(dir, 'rev-parse', 'HEAD'))).toEqual({ added: [], modified: [], deleted: [] });
  });

  it('a deleted and a renamed tile are deletions (the renamed one also an addition)', async () => {
    const { dir, first } = await repository();
    git(dir, 'rm', '-q', 'rasters/a.tif');
    git(dir, 'mv', 'rasters/sub/c.tif', 'rasters/c2.tif');
    commit(dir, 'second');
    expect(await read(dir, first)).toEqual({ added: ['c2.tif'], modified: [], deleted: ['rasters/a.tif', 'rasters/sub/c.tif'] });
  });

  it('untracked and uncommitted files count as changed', async () => {
    const { dir, first } = await repository();
    await appendFile(path.join(dir, 'rasters', 'a.tif'), Buffer.alloc(3, 2));
    await writeFile(path.join(dir, 'rasters', 'e.tif'), 'untracked');
    expect(await read(dir, first)).toEqual({ added: ['e.tif'], modified: ['a.tif'], deleted: [] });
  });

  it('a shallow checkout fetches the old commit alone', async () => {
    const { dir: origin, first } = await repository();
    await appendFile(path.join(origin, 'rasters', 'b.tif'), Buffer.alloc(10, 1));
    commit(origin, 'second');
    const clone = await mkdtemp(path.join(os.tmpdir(), 'shallow-'));
    defer(() => rm(clone, { recursive: true, force: true }));
    git(os.tmpdir(), 'clone', '-q', '--depth=1', `file://${origin}`, clone);
    expect(() => git(clone, 'cat-file', '-e', `${first}^{commit}`)).toThrow();
    expect(await read(clone, first)).toEqual({ added: [], modified: ['b.tif'], deleted: [] });
  });

  it('says why when there is no git, or no such commit', async () => {
    const plain = await workspace({ 'rasters/a.tif': 'fixture:geotiff-2154.tif' }, false);
    expect(await changesSince('a'.repeat(40), plain, PATTERNS, [], { readLfs: true })).toEqual({
      ok: false,
      why: 'the workspace is not a git repository',
    });
    expect(await changesSince('HEAD', plain, PATTERNS, [], { readLfs: true })).toEqual({
      ok: false,
      why: 'the live pyramid names no valid commit id',
    });
    const { dir } = await repository();
    expect(await changesSince('0'.repeat(40), dir, PATTERNS, [], { readLfs: true })).toEqual({
      ok: false,
      why: 'commit 0000000 of the live pyramid cannot be read, even fetched alone',
    });
  });
});
