/**
 * `npm run bench`: speed and memory figures, printed, never asserted by a test.
 * - every built-in drill scenario end to end (several rounds): wall time, state transitions per
 *   incident, mutating calls, duplicate mutations;
 * - the alert storm (bench/storm.ts): 1,000 alarm transitions for 20 services × 2 alarms, each
 *   delivered 3 times, 50 at once, through the real starter and open-incident step on DynamoDB Local;
 * - DynamoDB Local start-up, the in-process synth of the state machine, peak memory;
 * - every Lambda bundle (bench/bundles.ts): bytes, cold init in a fresh node process, the sum over
 *   the critical path from the alarm to the first mutation; `--why` lists each bundle's largest
 *   contributors (alone: `npx tsx bench/bundles.ts [--why]`).
 * `npm run bench -- --json` prints exactly one JSON object on stdout (progress goes to stderr).
 */
import { loadWorkflowDefinition } from '../drill/definition.js';
import { loadDrillConfig, openDrillSession, runScenario } from '../drill/runner.js';
import { listBuiltInScenarios, loadScenario } from '../drill/scenario.js';
import { logger } from '../lambdas/runtime/lambda.js';
import { bundleBenchJson, formatBundleBench, runBundleBench } from './bundles.js';
import { runStorm, type StormResult } from './storm.js';

const json = process.argv.includes('--json');
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
/** The storm's shape (issue 7): its targets are 20 incidents, 0 duplicate mutations, ≤ 10 s. */
const STORM = { services: 20, transitions: 1000, deliveries: 3, concurrency: 50 } as const;
logger.setLogLevel('SILENT');

const out = (line: string) => (json ? process.stderr : process.stdout).write(`${line}\n`);
const ms = (start: number) => performance.now() - start;
const fmt = (n: number) => `${n.toFixed(0).padStart(6)} ms`;
let peakRss = 0;
const sample = () => (peakRss = Math.max(peakRss, process.memoryUsage().rss));
const sampler = setInterval(sample, 20);

const scenarios = listBuiltInScenarios().map((s) => loadScenario(s.name));
out(`Tourniquet bench: ${scenarios.length} scenario(s) × ${ROUNDS} round(s), then the alert storm; node ${process.version}`);

let t = performance.now();
const session = await openDrillSession();
const dynamoDbStartMs = ms(t);
out(`DynamoDB Local start           ${fmt(dynamoDbStartMs)}`);

t = performance.now();
loadWorkflowDefinition(loadDrillConfig(scenarios[0]!));
const synthColdMs = ms(t);
out(`state machine synth (cold)     ${fmt(synthColdMs)}`);

interface ScenarioFigures {
  medianMs: number;
  incidents: number;
  executions: number;
  transitions: number;
  transitionsPerIncident: number;
  mutations: number;
  duplicateMutations: number;
  passed: boolean;
}
const figures: Record<string, ScenarioFigures> = {};
let storm: StormResult | undefined;
let stormCold: StormResult | undefined;

try {
  // Cold: the first storm on a JVM that has only started (what a fresh CI run sees first). Warm: the
  // same storm again on a fresh table, once the JVM's JIT has compiled DynamoDB Local's hot paths,
  // which is closer to a service that is always up. Both run before the scenarios fill the JVM's heap.
  out('alert storm (cold JVM)…');
  stormCold = await runStorm(session.dynamodb, STORM);
  out('alert storm (warm JVM)…');
  storm = await runStorm(session.dynamodb, STORM);
  for (const scenario of scenarios) {
    const times: number[] = [];
    let last: Awaited<ReturnType<typeof runScenario>>['result'] | undefined;
    for (let round = 0; round < ROUNDS; round++) {
      t = performance.now();
      const { result } = await runScenario(scenario, session);
      times.push(ms(t));
      last = result;
      // Multi-day scenarios take tens of seconds: one round tells enough.
      if (times[0]! > 10_000) break;
    }
    times.sort((a, b) => a - b);
    const r = last!;
    const transitions = r.executions.reduce((sum, e) => sum + e.transitions, 0);
    const incidents = r.incidents.length;
    figures[scenario.name] = {
      medianMs: times[Math.floor(times.length / 2)]!,
      incidents,
      executions: r.executions.length,
      transitions,
      transitionsPerIncident: incidents ? Math.round((transitions / incidents) * 10) / 10 : transitions,
      mutations: r.mutations,
      // Changes beyond what the incidents' ledgers account for (drill/expectations.ts): an action carried out twice.
      duplicateMutations: r.duplicateMutations,
      passed: r.passed,
    };
    const f = figures[scenario.name]!;
    out(
      `scenario ${scenario.name.padEnd(30)} median ${fmt(f.medianMs)}  ${String(f.incidents).padStart(2)} incident(s)  ${String(f.transitionsPerIncident).padStart(5)} transitions/incident  ${String(f.mutations).padStart(3)} mutation(s)  ${f.duplicateMutations} duplicate  ${f.passed ? 'PASS' : 'FAIL'}`,
    );
    if (!r.passed) out(`  ! ${scenario.name} did not behave as expected: ${r.mismatches.join('; ')}`);
  }
} finally {
  await session.close();
  clearInterval(sampler);
}
sample();

// After DynamoDB Local has stopped: cold init is timed in fresh node processes and the JVM would skew it.
out('Lambda bundles…');
const bundles = await runBundleBench();

const s = storm!;
const killSwitch = figures['feature-regression'];
const duplicateMutations = Object.values(figures).reduce((sum, f) => sum + f.duplicateMutations, 0);
out('');
out('Alert storm: 1,000 transitions × 3 deliveries, 20 services × 2 alarms, 50 at once     target');
out(`  storm wall time, warm JVM (cold JVM)      ${s.stormSeconds.toFixed(1).padStart(6)} s (${stormCold!.stormSeconds.toFixed(1)} s)   ≤ 10 s`);
out(`  incidents created                         ${String(s.incidentsCreated).padStart(6)}          20`);
out(`  executions started                        ${String(s.executionsStarted).padStart(6)}`);
out(`  DynamoDB calls per folded event (mean/max) ${s.dynamoCallsPerFoldedEvent.mean.toFixed(2).padStart(5)} / ${s.dynamoCallsPerFoldedEvent.max}  ≤ 2`);
out(`  DynamoDB calls per open (mean)            ${s.dynamoCallsPerOpen.mean.toFixed(1).padStart(6)}`);
out(`  control plane ms per incident (median)    ${s.controlPlaneMsPerIncident.toFixed(0).padStart(6)}`);
out(`  duplicate mutations (all scenarios)       ${String(duplicateMutations).padStart(6)}          0`);
out(`  transitions, kill-switch incident         ${String(killSwitch?.transitionsPerIncident ?? 'n/a').padStart(6)}          ≤ 40`);
out(`peak RSS (this process; DynamoDB Local's JVM not included)  ${(peakRss / 1024 / 1024).toFixed(0)} MiB`);
out('');
for (const line of formatBundleBench(bundles, process.argv.includes('--why'))) out(line);

if (json) {
  process.stdout.write(
    `${JSON.stringify({
      stormEvents: s.stormEvents,
      stormDeliveries: s.stormDeliveries,
      stormSeconds: round(s.stormSeconds, 2),
      stormSecondsColdJvm: round(stormCold!.stormSeconds, 2),
      incidentsCreated: s.incidentsCreated,
      executionsStarted: s.executionsStarted,
      duplicateMutations,
      controlPlaneMsPerIncident: round(s.controlPlaneMsPerIncident, 1),
      dynamoCallsPerFoldedEvent: { mean: round(s.dynamoCallsPerFoldedEvent.mean, 3), max: s.dynamoCallsPerFoldedEvent.max },
      dynamoCallsPerOpen: round(s.dynamoCallsPerOpen.mean, 2),
      stormOutcomes: s.outcomes,
      transitionsPerIncident: Object.fromEntries(Object.entries(figures).map(([name, f]) => [name, f.transitionsPerIncident])),
      scenarios: figures,
      dynamoDbStartMs: round(dynamoDbStartMs, 0),
      synthColdMs: round(synthColdMs, 0),
      peakRssMiB: Math.round(peakRss / 1024 / 1024),
      ...bundleBenchJson(bundles),
    })}\n`,
  );
}

function round(n: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}
