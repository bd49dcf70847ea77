/**
 * `npm run bench`: speed and memory figures for the drill path, printed, never asserted by a test.
 * Measures DynamoDB Local start-up, the in-process synth of the state machine definition, and each
 * built-in scenario end to end (several rounds), plus peak memory.
 */
import { logger } from '../lambdas/runtime/lambda.js';
import { loadWorkflowDefinition } from '../drill/definition.js';
import { openDrillSession, runScenario, loadDrillConfig } from '../drill/runner.js';
import { listBuiltInScenarios, loadScenario } from '../drill/scenario.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
logger.setLogLevel('SILENT');

const ms = (start: number) => performance.now() - start;
const fmt = (n: number) => `${n.toFixed(0).padStart(6)} ms`;
let peakRss = 0;
const sample = () => (peakRss = Math.max(peakRss, process.memoryUsage().rss));
const sampler = setInterval(sample, 20);

const scenarios = listBuiltInScenarios().map((s) => loadScenario(s.name));
console.log(`Tourniquet bench: ${scenarios.length} scenario(s) × ${ROUNDS} round(s), node ${process.version}`);

let t = performance.now();
const session = await openDrillSession();
console.log(`DynamoDB Local start           ${fmt(ms(t))}`);

t = performance.now();
loadWorkflowDefinition(loadDrillConfig(scenarios[0]!));
console.log(`state machine synth (cold)     ${fmt(ms(t))}`);
t = performance.now();
loadWorkflowDefinition(loadDrillConfig(scenarios[0]!));
console.log(`state machine synth (warm)     ${fmt(ms(t))}`);

try {
  for (const scenario of scenarios) {
    const times: number[] = [];
    let transitions = 0;
    let mttm: number | null = null;
    for (let round = 0; round < ROUNDS; round++) {
      t = performance.now();
      const { result } = await runScenario(scenario, session);
      times.push(ms(t));
      transitions = result.stateTransitions;
      mttm = result.simulatedMttmSeconds;
      if (!result.passed) console.log(`  ! ${scenario.name} did not behave as expected: ${result.mismatches.join('; ')}`);
    }
    times.sort((a, b) => a - b);
    console.log(
      `scenario ${scenario.name.padEnd(22)} median ${fmt(times[Math.floor(times.length / 2)]!)}  min ${fmt(times[0]!)}  max ${fmt(times.at(-1)!)}  ${transitions} transitions  simulated MTTM ${mttm ?? 'n/a'} s`,
    );
  }
} finally {
  await session.close();
  clearInterval(sampler);
}
sample();
console.log(`peak RSS (this process; DynamoDB Local's JVM not included)  ${(peakRss / 1024 / 1024).toFixed(0)} MiB`);
