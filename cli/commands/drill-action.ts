import { join } from 'node:path';

import { type DrillResult, renderReport, renderSummary } from '../../drill/report.js';
import { loadDrillConfig, openDrillSession, runScenario } from '../../drill/runner.js';
import { listBuiltInScenarios, loadScenario, type Scenario } from '../../drill/scenario.js';
import { logger } from '../../lambdas/runtime/lambda.js';

/** What `tourniquet drill` does, loaded only when it runs (registration: drill.ts). */

export interface DrillOptions {
  readonly list?: boolean;
  readonly scenario?: string;
  readonly json?: boolean;
  readonly undo?: boolean;
  readonly preflight?: boolean;
  /** After each scenario, print the incidents, show, postmortem and stats views of the drill's table (cli/views/drill-show.ts). */
  readonly show?: boolean;
  /** Directory for postmortem.md and report.html (one sub-directory per scenario and an index.html when running several). */
  readonly report?: string;
}

const progress = (line: string): void => {
  process.stderr.write(`${line}\n`);
};

/**
 * `tourniquet drill`: runs scenarios on a laptop, no AWS account needed. Exit 0 when every scenario
 * behaved as it declares, 1 when one did not, 2 for a scenario that cannot be loaded.
 */
export async function runDrill(options: DrillOptions): Promise<number> {
  if (options.list) {
    for (const s of listBuiltInScenarios()) process.stdout.write(`${s.name.padEnd(22)} ${s.description}\n`);
    return 0;
  }

  // One broken built-in must not hide the others: each that loads runs, and the exit status says 2.
  const scenarios: Scenario[] = [];
  let unloadable = 0;
  for (const name of options.scenario ? [options.scenario] : listBuiltInScenarios().map((s) => s.name)) {
    try {
      scenarios.push(loadScenario(name));
    } catch (error) {
      unloadable += 1;
      process.stderr.write(`tourniquet: ${(error as Error).message}\n`);
    }
  }
  if (scenarios.length === 0) return 2;
  if (options.preflight && options.report !== undefined) {
    process.stderr.write('tourniquet: --report writes the drill report; --preflight does not run the drill: pass one of them\n');
    return 2;
  }
  if (options.show && (options.json || options.preflight)) {
    process.stderr.write(`tourniquet: --show prints the views as text after each scenario; it does not combine with ${options.json ? '--json' : '--preflight'}\n`);
    return 2;
  }
  if (options.preflight) return preflightScenarios(scenarios, options, unloadable);
  const reports = options.report !== undefined ? await import('./drill-report-files.js') : undefined;
  try {
    if (reports && options.report !== undefined) reports.prepareReportDir(options.report);
  } catch (error) {
    process.stderr.write(`tourniquet: ${(error as Error).message}\n`);
    return 2;
  }
  // One scenario named on the command line: its files go in the directory itself; otherwise a sub-directory each and an index.
  const reportDirOf = (result: DrillResult) => (options.scenario ? options.report! : join(options.report!, reports!.reportDirName(result.scenario)));

  // Handler logs would interleave with the report (and break --json); the timeline carries the story.
  logger.setLogLevel('SILENT');
  const started = performance.now();
  progress('Starting DynamoDB Local (needs Java 17+)…');
  const session = await openDrillSession();
  const results: DrillResult[] = [];
  try {
    for (const scenario of scenarios) {
      progress(`Running scenario ${scenario.name}…`);
      const run = await runScenario(scenario, session, { undo: options.undo ?? false, progress });
      const { result } = run;
      results.push(result);
      if (!options.json) process.stdout.write(`\n${renderReport(result)}\n`);
      if (options.show) {
        const [{ drillShow }, { LearningRecords }, { localDocumentClient }] = await Promise.all([
          import('../views/drill-show.js'),
          import('../../lambdas/store/learning.js'),
          import('../../drill/dynamodb-local.js'),
        ]);
        const learning = new LearningRecords({ tableName: run.tableName, client: localDocumentClient(session.dynamodb.endpoint) });
        process.stdout.write(await drillShow(run.store, result, loadDrillConfig(scenario), learning));
      }
      if (reports) for (const path of reports.writeScenarioReport(reportDirOf(result), result)) progress(`Wrote report ${path}`);
    }
  } finally {
    await session.close();
  }

  if (options.json) {
    const payload = results.length === 1 && options.scenario ? results[0] : { passed: results.every((r) => r.passed), results };
    process.stdout.write(`${JSON.stringify(payload, null, 2)}\n`);
  } else if (results.length > 1) {
    process.stdout.write(`\n${renderSummary(results)}\n`);
  }
  if (reports && !options.scenario) {
    const index = reports.writeReportIndex(
      options.report!,
      results.map((result) => ({ result, dir: reports.reportDirName(result.scenario) })),
    );
    progress(`Wrote report index ${index}`);
  }
  progress(`Drill finished in ${((performance.now() - started) / 1000).toFixed(1)} s wall time.`);
  if (unloadable > 0) {
    progress(`${unloadable} scenario(s) could not be loaded (see above).`);
    return 2;
  }
  return results.every((r) => r.passed) ? 0 : 1;
}

/**
 * `tourniquet drill --preflight`: `tourniquet preflight` against each scenario's simulated account as
 * the drill begins; the scenarios themselves do not run. Exit 1 when a mitigation is not ready.
 */
async function preflightScenarios(scenarios: readonly Scenario[], options: DrillOptions, unloadable: number): Promise<number> {
  const [{ preflightScenario }, { preflightJson, renderPreflight }] = await Promise.all([import('../../drill/preflight.js'), import('./preflight-report.js')]);
  let ready = true;
  for (const scenario of scenarios) {
    const run = await preflightScenario(scenario);
    ready &&= run.reports.every((r) => r.ready);
    const context = {
      config: run.configFile,
      account: `${run.account} (simulated: scenario ${scenario.name} as the drill begins)`,
      region: run.region,
      deploymentStrategyId: run.deploymentStrategyId,
      notes: ["the simulated account has no IAM: the mitigate role's permissions are not simulated"],
    };
    process.stdout.write(`${options.json ? preflightJson(run.reports, context) : `${renderPreflight(run.reports, context)}\n`}\n`);
  }
  if (unloadable > 0) return 2;
  return ready ? 0 : 1;
}
