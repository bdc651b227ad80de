import { FormatError } from '../../shared/errors.js';
/** An ESRI world file: six numbers, one per line (A, D, B, E, C, F). */
export type WorldFile = [number, number, number, number, number, number];

export class WorldFileError extends FormatError {}

/** Parses a world file's text; throws WorldFileError unless it is exactly six finite numbers. */
export function parseWorldFile(text: string): WorldFile {
  const lines = text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '');
  if (lines.length !== 6) throw new WorldFileError(`expected 6 numbers, found ${lines.length} lines`);
  const numbers = lines.map(Number);
  const bad = lines.findIndex((line, i) => !/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(line) || !Number.isFinite(numbers[i]));
  // Said by its place, never quoted: a world file linked to a secret must not print it.
  if (bad !== -1) throw new WorldFileError(`value ${bad + 1} of 6 is not a number`);
  return numbers as WorldFile;
}

/** A world file as a geotransform: its C and F name the centre of the top-left pixel. */
export function worldFileTransform([a, d, b, e, c, f]: WorldFile): [number, number, number, number, number, number] {
  return [c - a / 2 - b / 2, a, b, f - d / 2 - e / 2, d, e];
}
