import type { ServiceReadinessReport } from '../../lambdas/operations/readiness.js';

/** How `tourniquet preflight` (and `drill --preflight`) show readiness reports: a table for people, JSON for tools. */

/** Where the checks ran, for the heading and the JSON. */
export interface PreflightContext {
  readonly config: string;
  readonly account?: string;
  readonly region?: string;
  readonly stack?: string;
  /** The role whose write permissions were simulated, if any. */
  readonly mitigateRole?: string;
  readonly deploymentStrategyId?: string;
  /** Things the reader should know that are no check (an output the stack lacks, a check skipped). */
  readonly notes?: readonly string[];
}

const HEADERS = ['SERVICE', 'MITIGATION', 'TARGET', 'READY', 'FAILING CHECK'] as const;

/** The table: one row per target, the first failing check and its detail last (unpadded: it may be long). */
export function renderPreflight(reports: readonly ServiceReadinessReport[], context: PreflightContext): string {
  const where = [context.account ? `account ${context.account}` : undefined, context.region, context.stack ? `stack ${context.stack}` : undefined].filter(Boolean).join(', ');
  const lines = [`Preflight of ${context.config}${where ? ` (${where})` : ''}`];
  for (const note of context.notes ?? []) lines.push(`  note: ${note}`);
  if (reports.length === 0) return [...lines, 'No mitigation is configured: nothing to check.'].join('\n');
  const rows = reports.map((r) => {
    const failing = r.checks.filter((c) => !c.ok);
    const first = failing[0];
    const more = failing.length > 1 ? ` (+${failing.length - 1} more failing)` : '';
    return [r.service, r.type, r.target, r.ready ? 'yes' : 'NO', first ? `${first.check}: ${first.detail}${more}` : ''];
  });
  const widths = HEADERS.slice(0, 4).map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const format = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i < 4 ? c.padEnd(widths[i]!) : c))
      .join('  ')
      .trimEnd();
  lines.push('', format(HEADERS), ...rows.map(format), '');
  const notReady = reports.filter((r) => !r.ready).length;
  lines.push(
    notReady === 0 ? `All ${reports.length} mitigation targets are ready.` : `${notReady} of ${reports.length} mitigation targets are NOT ready. --json shows every check.`,
  );
  return lines.join('\n');
}

/** The JSON form: the context, the verdict, and every report with all its checks. */
export function preflightJson(reports: readonly ServiceReadinessReport[], context: PreflightContext): string {
  const { notes, ...where } = context;
  return JSON.stringify({ ...where, ready: reports.every((r) => r.ready), ...(notes && notes.length > 0 ? { notes } : {}), reports }, null, 2);
}
