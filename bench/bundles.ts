/**
 * Bundle size and cold init of every Lambda handler (part of `npm run bench`; alone: `npx tsx bench/bundles.ts [--json] [--why]`).
 *
 * Each handler in HANDLER_NAMES is bundled with exactly the esbuild options of its stack asset
 * (lib/constructs/bundling.ts handlerBuildOptions), into a temporary folder <tmp>/<handler>/ next to
 * a <tmp>/node_modules link to the project's, so the modules left external resolve from node_modules
 * as they resolve from the runtime's /var/runtime/node_modules on Lambda.
 *
 * What is measured, per handler:
 * - bytes: all JavaScript in the asset as deployed (index.mjs and every chunk, minified; the .map
 *   files are reported apart as sourceMapBytes);
 * - initBytes: the part a cold start loads: index.mjs and the chunks it imports statically (chunks
 *   behind `await import()` load on first use);
 * - coldInitMs: median over COLD_RUNS fresh `node` processes of the wall time `await import(bundle)`
 *   takes, measured with performance.now() inside the child: read, parse, compile and evaluate the
 *   bundle and every module it loads at the top level (SDK packages it imports statically included),
 *   with the settings the functions run with (COMMON_ENVIRONMENT: NODE_OPTIONS=--enable-source-maps).
 *   Before the clock starts the probe loads `node:http`, as the Lambda runtime interface client has
 *   (its RAPID client requires `http`) before it imports the handler. coldInitCpuMs is the same span in
 *   CPU time (process.cpuUsage), steadier than wall time on a busy machine;
 * - lazyLoadMs: in the same process, right after, the time to import everything the bundle defers:
 *   its chunks not loaded at init and every AWS SDK package it refers to (left external, so loaded
 *   from node_modules as on Lambda from the runtime's copy; ~0 for those imported at init). It is
 *   the most a first invocation can add: an upper bound where a handler picks one of several
 *   adapters (mitigate loads one adapter chunk and one client, not all). It also proves that every
 *   chunk evaluates;
 * - bootMs (apart, in no sum): node's own start-up until the probe runs (performance.now() at its
 *   first line, time since the process's time origin). Lambda's runtime bootstrap replaces it on AWS.
 * The handler is imported, not invoked: what lambdaHandler's factory builds on the first invocation
 * (stores, clients) is not included, except the module loading counted in lazyLoadMs.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';

import { build, type Metafile } from 'esbuild';

import { handlerBuildOptions } from '../lib/constructs/bundling.js';
import { HANDLER_NAMES, handlerEntry, type HandlerName, PROJECT_ROOT } from '../lib/handlers.js';

/** The environment the functions run with (lib/constructs/handler-function.ts COMMON_ENVIRONMENT), plus what Lambda sets. */
const FUNCTION_ENVIRONMENT: Readonly<Record<string, string>> = {
  POWERTOOLS_SERVICE_NAME: 'tourniquet',
  POWERTOOLS_LOG_LEVEL: 'INFO',
  NODE_OPTIONS: '--enable-source-maps',
  AWS_REGION: 'us-east-1',
  AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '256',
};

/**
 * The handlers a first mitigation waits for, each cold once: the alarm reaches start-execution, then
 * the state machine runs OpenIncident → NotifyInvestigating → Triage → Decide → NotifyIdentified →
 * Mitigate (lib/constructs/incident-workflow.ts). NotifyIdentified reuses NotifyInvestigating's
 * function a few seconds later, so it is counted once.
 */
export const CRITICAL_PATH: readonly HandlerName[] = ['start-execution', 'open-incident', 'notify', 'triage', 'decide', 'mitigate'];

export const BUNDLE_TARGETS = { bytes: 250 * 1024, coldInitMs: 100, criticalPathColdInitMs: 1000 } as const;

export interface BundleFigures {
  bytes: number;
  initBytes: number;
  sourceMapBytes: number;
  coldInitMs: number;
  coldInitCpuMs: number;
  /** Loading what the bundle defers (its other chunks, the SDK packages), after the import (see the file comment). */
  lazyLoadMs: number;
  /** Node's own start-up before the probe runs; not part of coldInitMs. */
  bootMs: number;
  /** The AWS SDK packages left external that the bundle imports. */
  sdkPackages: string[];
  /** Largest contributors to the bundle: package (or source folder) → bytes in the output. */
  contributors: Array<[string, number]>;
}

export interface BundleBenchResult {
  bundles: Partial<Record<HandlerName, BundleFigures>>;
  /** Handlers that did not bundle or import, with the first line of the error. */
  failures: Partial<Record<HandlerName, string>>;
  criticalPathColdInitMs: number | null;
  /** The same sum with each handler's lazyLoadMs added: init plus the most its first invocation may load. */
  criticalPathWithLazyLoadMs: number | null;
  coldRuns: number;
}

/** `node_modules/@scope/name/...` → `@scope/name`; own code → its folder (`lambdas/core`). */
function ownerOf(input: string): string {
  const parts = input.split('/');
  const at = parts.lastIndexOf('node_modules');
  if (at >= 0) return parts[at + 1]!.startsWith('@') ? `${parts[at + 1]}/${parts[at + 2]}` : parts[at + 1]!;
  return parts.slice(0, 2).join('/');
}

function contributors(metafile: Metafile): Array<[string, number]> {
  const byOwner = new Map<string, number>();
  for (const output of Object.values(metafile.outputs)) {
    for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
      byOwner.set(ownerOf(input), (byOwner.get(ownerOf(input)) ?? 0) + bytesInOutput);
    }
  }
  return [...byOwner.entries()].sort((a, b) => b[1] - a[1]);
}

/** Bytes of the asset's JavaScript, of its maps, and of what a cold start loads (index.mjs and its static chunk imports). */
function sizesOf(metafile: Metafile): { bytes: number; initBytes: number; sourceMapBytes: number; lazyChunks: string[] } {
  const outputs = Object.entries(metafile.outputs);
  const js = outputs.filter(([file]) => file.endsWith('.mjs'));
  const entry = js.find(([file]) => path.basename(file) === 'index.mjs')![0];
  const init = new Set([entry]);
  const queue = [entry];
  while (queue.length) {
    for (const i of metafile.outputs[queue.pop()!]!.imports) {
      if (i.kind !== 'import-statement' || i.external || init.has(i.path)) continue;
      init.add(i.path);
      queue.push(i.path);
    }
  }
  return {
    bytes: js.reduce((total, [, o]) => total + o.bytes, 0),
    initBytes: [...init].reduce((total, file) => total + metafile.outputs[file]!.bytes, 0),
    sourceMapBytes: outputs.filter(([file]) => file.endsWith('.map')).reduce((total, [, o]) => total + o.bytes, 0),
    lazyChunks: js.map(([file]) => file).filter((file) => !init.has(file)),
  };
}

const PROBE = [
  "await import('node:http');",
  'const [bundle, ...deferred] = process.argv.slice(1);',
  'const cpu0 = process.cpuUsage();',
  'const start = performance.now();',
  'await import(bundle);',
  'const end = performance.now();',
  'const cpu = process.cpuUsage(cpu0);',
  'for (const specifier of deferred) await import(specifier);',
  'const loaded = performance.now();',
  'process.stdout.write(JSON.stringify({ bootMs: start, importMs: end - start, cpuMs: (cpu.user + cpu.system) / 1000, lazyMs: loaded - end }));',
  'process.exit(0);',
].join('\n');

interface Sample {
  bootMs: number;
  importMs: number;
  cpuMs: number;
  lazyMs: number;
}

function probe(file: string, deferred: readonly string[]): Sample {
  const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...FUNCTION_ENVIRONMENT };
  // Run from the bundle's folder: bare specifiers resolve from the project's node_modules.
  const child = spawnSync(process.execPath, ['--input-type=module', '-e', PROBE, file, ...deferred], { env, encoding: 'utf8', cwd: path.dirname(file) });
  if (child.status !== 0)
    throw new Error(
      child.stderr
        .trim()
        .split('\n')
        .find((l) => /Error/.test(l)) ?? child.stderr.trim().split('\n')[0],
    );
  return JSON.parse(child.stdout) as Sample;
}

/** The AWS SDK packages a bundle leaves external (imported statically or with `await import()`). */
function sdkPackages(metafile: Metafile): string[] {
  const packages = new Set<string>();
  for (const input of Object.values(metafile.inputs)) {
    for (const i of input.imports) if (i.external && /^@(aws-sdk|smithy)\//.test(i.path)) packages.add(i.path);
  }
  return [...packages].sort();
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

export async function runBundleBench(options: { coldRuns?: number; handlers?: readonly HandlerName[] } = {}): Promise<BundleBenchResult> {
  const coldRuns = options.coldRuns ?? 7;
  const handlers = options.handlers ?? HANDLER_NAMES;
  const root = mkdtempSync(path.join(tmpdir(), 'tourniquet-bench-'));
  symlinkSync(path.join(PROJECT_ROOT, 'node_modules'), path.join(root, 'node_modules'));
  try {
    return await benchIn(root, handlers, coldRuns);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

async function benchIn(root: string, handlers: readonly HandlerName[], coldRuns: number): Promise<BundleBenchResult> {
  const built: Partial<Record<HandlerName, { file: string; metafile: Metafile; sdk: string[]; deferred: string[]; sizes: ReturnType<typeof sizesOf> }>> = {};
  const failures: BundleBenchResult['failures'] = {};

  // One build at a time: esbuild is multi-threaded already and the bench shares two cores.
  for (const handler of handlers) {
    const outdir = path.join(root, handler);
    mkdirSync(outdir, { recursive: true });
    try {
      const result = await build({ ...handlerBuildOptions(handlerEntry(handler), outdir), metafile: true, logLevel: 'silent' });
      const metafile = result.metafile!;
      const sizes = sizesOf(metafile);
      const sdk = sdkPackages(metafile);
      const lazyChunks = sizes.lazyChunks.map((file) => path.join(PROJECT_ROOT, file));
      built[handler] = { file: path.join(outdir, 'index.mjs'), metafile, sdk, deferred: [...lazyChunks, ...sdk], sizes };
    } catch (error) {
      failures[handler] = String((error as Error).message)
        .split('\n')
        .slice(0, 2)
        .join(' ');
    }
  }

  // Round-robin over the handlers so that background noise spreads over all of them; one warm-up
  // round first (disk cache, like a Lambda host that has the runtime's files in memory).
  const samples = new Map<HandlerName, Sample[]>();
  for (let run = 0; run <= coldRuns; run++) {
    for (const handler of Object.keys(built) as HandlerName[]) {
      if (failures[handler]) continue;
      try {
        const sample = probe(built[handler]!.file, built[handler]!.deferred);
        if (run > 0) samples.set(handler, [...(samples.get(handler) ?? []), sample]);
      } catch (error) {
        failures[handler] = `import failed: ${(error as Error).message}`;
      }
    }
  }

  const bundles: BundleBenchResult['bundles'] = {};
  for (const handler of handlers) {
    const b = built[handler];
    if (!b || failures[handler]) continue;
    const runs = samples.get(handler)!;
    bundles[handler] = {
      bytes: b.sizes.bytes,
      initBytes: b.sizes.initBytes,
      sourceMapBytes: b.sizes.sourceMapBytes,
      coldInitMs: round1(median(runs.map((r) => r.importMs))),
      coldInitCpuMs: round1(median(runs.map((r) => r.cpuMs))),
      lazyLoadMs: round1(median(runs.map((r) => r.lazyMs))),
      bootMs: round1(median(runs.map((r) => r.bootMs))),
      sdkPackages: b.sdk,
      contributors: contributors(b.metafile),
    };
  }
  const onPath = CRITICAL_PATH.map((h) => bundles[h]);
  const complete = onPath.every((f) => f !== undefined);
  const sum = (ms: (f: BundleFigures) => number) => (complete ? round1(onPath.reduce((total, f) => total + ms(f!), 0)) : null);
  return {
    bundles,
    failures,
    criticalPathColdInitMs: sum((f) => f.coldInitMs),
    criticalPathWithLazyLoadMs: sum((f) => f.coldInitMs + f.lazyLoadMs),
    coldRuns,
  };
}

const round1 = (n: number) => Math.round(n * 10) / 10;
const kb = (bytes: number) => `${(bytes / 1024).toFixed(0)} KB`;
const ms = (n: number) => `${n.toFixed(0)} ms`;

/** The readable table (and with `why`, the top contributors of each bundle). */
export function formatBundleBench(result: BundleBenchResult, why = false): string[] {
  const lines: string[] = [];
  lines.push(`Lambda bundles (the stack's esbuild options); cold init = import in a fresh node, median of ${result.coldRuns}`);
  lines.push(
    `  ${'handler'.padEnd(18)} ${'bundle'.padStart(7)} ${'at init'.padStart(7)} ${'maps'.padStart(7)} ${'cold init'.padStart(10)} ${'(cpu)'.padStart(7)} ${'+lazy load'.padStart(10)} ${'boot'.padStart(6)}   largest contributor`,
  );
  for (const [handler, f] of Object.entries(result.bundles)) {
    const over = f.bytes > BUNDLE_TARGETS.bytes || f.coldInitMs > BUNDLE_TARGETS.coldInitMs ? ' !' : '';
    const [top, topBytes] = f.contributors[0] ?? ['-', 0];
    lines.push(
      `  ${handler.padEnd(18)} ${kb(f.bytes).padStart(7)} ${kb(f.initBytes).padStart(7)} ${kb(f.sourceMapBytes).padStart(7)} ${ms(f.coldInitMs).padStart(10)} ${ms(f.coldInitCpuMs).padStart(7)} ${ms(f.lazyLoadMs).padStart(10)} ${ms(f.bootMs).padStart(6)}   ${top} ${kb(topBytes)}${over}`,
    );
    if (why) {
      for (const [owner, bytes] of f.contributors.slice(0, 10)) lines.push(`      ${owner.padEnd(44)} ${kb(bytes).padStart(8)}`);
      if (f.sdkPackages.length) lines.push(`      external SDK: ${f.sdkPackages.join(', ')}`);
    }
  }
  for (const [handler, error] of Object.entries(result.failures)) lines.push(`  ${handler.padEnd(18)} FAILED: ${error}`);
  lines.push(`  bundle = all JS in the asset; at init = index.mjs and the chunks it imports statically; lazy load = importing the rest`);
  lines.push(`  and every SDK package it uses afterwards (the most a first invocation can add)`);
  lines.push(`  targets: bundle ≤ ${kb(BUNDLE_TARGETS.bytes)}, cold init ≤ ${BUNDLE_TARGETS.coldInitMs} ms (! marks a miss)`);
  const total = (n: number | null) => (n === null ? 'n/a (a handler failed)' : ms(n));
  lines.push(`  critical path (${CRITICAL_PATH.join(' → ')}):`);
  lines.push(
    `    cold init ${total(result.criticalPathColdInitMs)} (target ≤ ${BUNDLE_TARGETS.criticalPathColdInitMs} ms); with everything deferred loaded too ${total(result.criticalPathWithLazyLoadMs)}`,
  );
  return lines;
}

/** The `--json` shape: `bundles: { "<handler>": { bytes, coldInitMs, … } }`, `criticalPathColdInitMs`. */
export function bundleBenchJson(result: BundleBenchResult) {
  return {
    bundles: Object.fromEntries(
      Object.entries(result.bundles).map(([handler, f]) => [
        handler,
        {
          bytes: f.bytes,
          initBytes: f.initBytes,
          sourceMapBytes: f.sourceMapBytes,
          coldInitMs: f.coldInitMs,
          coldInitCpuMs: f.coldInitCpuMs,
          lazyLoadMs: f.lazyLoadMs,
          bootMs: f.bootMs,
          top: Object.fromEntries(f.contributors.slice(0, 5)),
        },
      ]),
    ),
    bundleFailures: result.failures,
    criticalPathColdInitMs: result.criticalPathColdInitMs,
    criticalPathWithLazyLoadMs: result.criticalPathWithLazyLoadMs,
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const json = process.argv.includes('--json');
  const result = await runBundleBench({ coldRuns: Number(process.env.BENCH_COLD_RUNS ?? 7) });
  if (json) process.stdout.write(`${JSON.stringify(bundleBenchJson(result))}\n`);
  else process.stdout.write(`${formatBundleBench(result, process.argv.includes('--why')).join('\n')}\n`);
}
