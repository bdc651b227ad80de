import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import * as prettier from 'prettier';
import { ROOT } from './action-runner.js';

/**
 * Keeps the README's input and output tables generated from action.yml.
 * `tsx scripts/readme-tables.ts` rewrites them; `--check` fails when they drift.
 */
interface Entry {
  name: string;
  description: string;
  default?: string;
  required?: boolean;
}

/** Reads the two flat maps of action.yml (inputs, outputs) without a YAML dependency. */
export function parseActionYaml(text: string): { inputs: Entry[]; outputs: Entry[] } {
  const sections: Record<string, Entry[]> = { inputs: [], outputs: [] };
  let section: string | undefined;
  let current: Entry | undefined;
  for (const line of text.split('\n')) {
    const top = /^(\w+):\s*$/.exec(line);
    if (top) {
      section = top[1] in sections ? top[1] : undefined;
      continue;
    }
    if (/^\S/.test(line)) section = undefined;
    if (!section) continue;
    const key = /^ {2}([\w-]+):\s*$/.exec(line);
    if (key) {
      current = { name: key[1], description: '' };
      sections[section].push(current);
      continue;
    }
    const field = /^ {4}(description|default|required):\s*(.*)$/.exec(line);
    if (field && current) {
      const value = unquote(field[2]);
      if (field[1] === 'description') current.description = value;
      else if (field[1] === 'default') current.default = value;
      else current.required = value === 'true';
    }
  }
  return { inputs: sections.inputs, outputs: sections.outputs };
}

function unquote(value: string): string {
  const v = value.trim();
  if (v.startsWith("'") && v.endsWith("'")) return v.slice(1, -1).replace(/''/g, "'");
  if (v.startsWith('"') && v.endsWith('"')) return JSON.parse(v) as string;
  return v;
}

const cell = (text: string) => text.replace(/\|/g, '\\|');

export function renderTables(yaml: string): { inputs: string; outputs: string } {
  const { inputs, outputs } = parseActionYaml(yaml);
  const inputRows = inputs.map(
    (i) => `| \`${i.name}\` | ${i.required ? '**required**' : i.default ? `\`${cell(i.default)}\`` : '`""`'} | ${cell(i.description)} |`,
  );
  const outputRows = outputs.map((o) => `| \`${o.name}\` | ${cell(o.description)} |`);
  return {
    inputs: ['| input | default | description |', '|---|---|---|', ...inputRows].join('\n'),
    outputs: ['| output | description |', '|---|---|', ...outputRows].join('\n'),
  };
}

export function replaceBetween(text: string, marker: string, content: string): string {
  const start = `<!-- ${marker}:start -->`;
  const end = `<!-- ${marker}:end -->`;
  const a = text.indexOf(start);
  const b = text.indexOf(end);
  if (a < 0 || b < a) throw new Error(`README.md lacks the ${start} … ${end} markers`);
  return `${text.slice(0, a + start.length)}\n${content}\n${text.slice(b)}`;
}

/** The README with its tables regenerated from action.yml, formatted as Prettier formats it. */
export async function regenerateReadme(readme: string, actionYaml: string): Promise<string> {
  const tables = renderTables(actionYaml);
  const updated = replaceBetween(replaceBetween(readme, 'inputs', tables.inputs), 'outputs', tables.outputs);
  const readmePath = path.join(ROOT, 'README.md');
  return prettier.format(updated, { ...(await prettier.resolveConfig(readmePath)), filepath: readmePath });
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(ROOT, 'scripts', 'readme-tables.ts')) {
  const readmePath = path.join(ROOT, 'README.md');
  const readme = await readFile(readmePath, 'utf8');
  const updated = await regenerateReadme(readme, await readFile(path.join(ROOT, 'action.yml'), 'utf8'));
  if (process.argv.includes('--check')) {
    if (updated !== readme) {
      console.error('README.md input/output tables differ from action.yml: run npm run readme');
      process.exit(1);
    }
    console.log('README tables match action.yml');
  } else {
    await writeFile(readmePath, updated);
  }
}
