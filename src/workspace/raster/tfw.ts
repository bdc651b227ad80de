/** An ESRI world file: six numbers, one per line (A, D, B, E, C, F). */
export type WorldFile = [number, number, number, number, number, number];

export class WorldFileError extends Error {}

/** Parses a world file's text; throws WorldFileError unless it is exactly six finite numbers. */
export function parseWorldFile(text: string): WorldFile {
  const lines = text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '');
  if (lines.length !== 6) throw new WorldFileError(`expected 6 numbers, found ${lines.length} lines`);
  const numbers = lines.map(Number);
  const bad = lines.find((line, i) => !/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(line) || !Number.isFinite(numbers[i]));
  if (bad !== undefined) throw new WorldFileError(`'${bad.slice(0, 40)}' is not a number`);
  return numbers as WorldFile;
}

/** A world file as a geotransform: its C and F name the centre of the top-left pixel. */
export function worldFileTransform([a, d, b, e, c, f]: WorldFile): [number, number, number, number, number, number] {
  return [c - a / 2 - b / 2, a, b, f - d / 2 - e / 2, d, e];
}
