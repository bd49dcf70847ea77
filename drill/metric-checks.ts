import type { RecordedMetric } from '../lambdas/adapters/memory-metrics.js';

/** What the checks read of an incident: its action ledger's statuses. */
interface LedgerOf {
  readonly actions: readonly { readonly status: string }[];
}

/**
 * Where the metrics the functions published disagree with what the store recorded: each count must
 * equal its ledger (a retry, a redelivery or a crash must not make one count twice, nor lose one).
 * Read before `--undo`, whose reverts the ledger snapshot does not show yet.
 */
export function metricMismatches(records: readonly RecordedMetric[], incidents: readonly LedgerOf[]): string[] {
  const sum = (name: string) => records.filter((r) => r.name === name).reduce((n, r) => n + r.value, 0);
  const actions = (...statuses: string[]) => incidents.flatMap((i) => i.actions).filter((a) => statuses.includes(a.status)).length;
  const expected: [string, number, string][] = [
    ['IncidentsOpened', incidents.length, 'incidents opened'],
    // An undone action was applied first.
    ['MitigationsApplied', actions('applied', 'undone'), 'actions applied'],
    ['MitigationsFailed', actions('failed'), 'actions failed'],
    ['MitigationsReverted', actions('undone'), 'actions undone'],
  ];
  return expected.filter(([name, count]) => sum(name) !== count).map(([name, count, what]) => `metric ${name} counted ${sum(name)}, the store has ${count} ${what}`);
}
