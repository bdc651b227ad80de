import { describe, expect, it } from 'vitest';
import { FileError } from '../src/shared/errors.js';
import { findFiles } from '../src/workspace/files.js';
import { preflight } from '../src/workspace/preflight.js';
import { makeWorkspace } from './support/workspace.js';

async function check(files: Record<string, string | Buffer>) {
  const ws = await makeWorkspace(files);
  try {
    const set = await findFiles(['r/**'], ws.dir);
    return await preflight(set.files, 2154, ws.dir);
  } finally {
    await ws.cleanup();
  }
}

async function problems(files: Record<string, string | Buffer>): Promise<FileError> {
  try {
    await check(files);
  } catch (error) {
    expect(error).toBeInstanceOf(FileError);
    return error as FileError;
  }
  throw new Error('expected a FileError');
}

describe('preflight', () => {
  it('passes GeoTIFF, BigTIFF, JP2 and TIFF+TFW in the declared SRS', async () => {
    const report = await check({
      'r/a.tif': 'fixture:geotiff-2154.tif',
      'r/b.TIF': 'fixture:bigtiff-2154.tif',
      'r/c.jp2': 'fixture:jp2-2154.jp2',
      'r/d.tif': 'fixture:plain.tif',
      'r/d.tfw': 'fixture:plain.tfw',
    });
    expect(report.warnings).toEqual([]);
  });

  it('warns, without failing, on names the platform ignores and on CRSs without an EPSG code', async () => {
    const report = await check({ 'r/__hidden.tif': 'fixture:geotiff-2154.tif', 'r/custom.tif': 'fixture:geotiff-userdefined.tif' });
    expect(report.warnings).toEqual([
      "r/__hidden.tif: the platform ignores files whose name starts with '__'",
      'r/custom.tif: its CRS has no EPSG code, so it cannot be compared with EPSG:2154',
    ]);
  });

  it('lists every problem at once, each with its file', async () => {
    const error = await problems({
      'r/ok.tif': 'fixture:geotiff-2154.tif',
      'r/wgs.tif': 'fixture:geotiff-4326.tif',
      'r/wgs.jp2': 'fixture:jp2-4326.jp2',
      'r/bad.tif': 'fixture:plain.tif',
      'r/bad.tfw': '10\n0\n0\n-10\n651000\n',
      'r/fake.tif': 'not a tiff',
      'r/empty.jp2': '',
    });
    expect(error.problems).toEqual([
      { kind: 'unreadable', paths: ['r/bad.tfw'], problem: 'unreadable: expected 6 numbers, found 5 lines' },
      { kind: 'empty', paths: ['r/empty.jp2'], problem: 'empty file' },
      { kind: 'unreadable', paths: ['r/fake.tif'], problem: 'unreadable: not a TIFF file (bad signature)' },
      { kind: 'srs', paths: ['r/wgs.jp2'], problem: 'EPSG:4326, not EPSG:2154' },
      { kind: 'srs', paths: ['r/wgs.tif'], problem: 'EPSG:4326, not EPSG:2154' },
    ]);
    expect(error.message).toMatch(/^5 file problems, nothing was sent: r\/bad\.tfw: unreadable/);
    expect(error.message).not.toContain('\n');
  });

  it('names both files of a base-name clash as a list, whatever their names hold', async () => {
    const error = await problems({
      'r/a/black and white.tif': 'fixture:geotiff-2154.tif',
      'r/b/black and white.tif': 'fixture:geotiff-2154.tif',
    });
    expect(error.problems).toEqual([
      expect.objectContaining({ kind: 'name-clash', paths: ['r/a/black and white.tif', 'r/b/black and white.tif'] }),
    ]);
  });
});
