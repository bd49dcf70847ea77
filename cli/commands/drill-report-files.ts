import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { type IndexEntry, renderHtmlIndex, renderHtmlReport } from '../../drill/html-report.js';
import type { DrillResult } from '../../drill/report.js';

/** The files of `tourniquet drill --report <dir>` (the pages themselves: drill/html-report.ts). */

/** A scenario's directory under the report directory: its name, made safe for a path. */
export function reportDirName(scenario: string): string {
  return scenario.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[.-]+/, '') || 'scenario';
}

/** Creates the report directory up front, so a bad path fails before the drill runs; throws with a one-line message. */
export function prepareReportDir(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true });
  } catch (error) {
    throw new Error(`cannot create the report directory ${dir}: ${(error as Error).message}`, { cause: error });
  }
}

/** Writes `<dir>/postmortem.md` and `<dir>/report.html` for one scenario; returns the paths written. */
export function writeScenarioReport(dir: string, result: DrillResult): string[] {
  mkdirSync(dir, { recursive: true });
  const postmortem = join(dir, 'postmortem.md');
  const report = join(dir, 'report.html');
  writeFileSync(postmortem, result.postmortem ?? `# ${result.scenario}\n\nNo incident was opened in this drill, so there is no postmortem.\n`);
  writeFileSync(report, renderHtmlReport(result));
  return [postmortem, report];
}

/** Writes `<dir>/index.html` linking each scenario's sub-directory; returns its path. */
export function writeReportIndex(dir: string, entries: readonly IndexEntry[]): string {
  const index = join(dir, 'index.html');
  writeFileSync(index, renderHtmlIndex(entries));
  return index;
}
