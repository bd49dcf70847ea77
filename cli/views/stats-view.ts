import { median, type MitigationRecord } from '../../lambdas/core/learning.js';
import { humanDuration } from '../../lambdas/core/status-update.js';

/**
 * What `tourniquet stats` prints: per service and mitigation type, how often it was tried, verified
 * effective, ineffective, reverted, escalated, and the median MTTM of the incidents it restored. A
 * function of the records, so the CLI (deployed table) and tests print the same thing.
 */

/** One row of `tourniquet stats --json`. */
export interface StatsRow {
  readonly service: string;
  readonly mitigation: string;
  readonly tried: number;
  readonly effective: number;
  readonly ineffective: number;
  readonly reverted: number;
  readonly escalated: number;
  /** Median MTTM (seconds) of the newest incidents it restored; null when it never restored one. */
  readonly medianMttmSeconds: number | null;
  /** How many MTTM samples the median is over (the newest 25 at most). */
  readonly mttmSamples: number;
}

export function statsRows(records: readonly MitigationRecord[], service?: string): StatsRow[] {
  return records
    .filter((r) => service === undefined || r.service === service)
    .sort((a, b) => a.service.localeCompare(b.service) || a.type.localeCompare(b.type))
    .map((r) => ({
      service: r.service,
      mitigation: r.type,
      tried: r.tried,
      effective: r.effective,
      ineffective: r.ineffective,
      reverted: r.reverted,
      escalated: r.escalated,
      medianMttmSeconds: median(r.mttmSamples),
      mttmSamples: r.mttmSamples.length,
    }));
}

const HEADERS = ['service', 'mitigation', 'tried', 'effective', 'ineffective', 'reverted', 'escalated', 'median MTTM'] as const;

/** The rows as an aligned text table (numbers right-aligned), or JSON. */
export function statsView(records: readonly MitigationRecord[], options: { json: boolean; service?: string }): string {
  const rows = statsRows(records, options.service);
  if (options.json) return JSON.stringify(rows, null, 2);
  if (rows.length === 0) {
    return options.service === undefined
      ? 'no learning records yet: they are written as the automation applies and verifies mitigations'
      : `no learning records for ${options.service} (is the service name right? tourniquet stats lists every service)`;
  }
  const cells = rows.map((r) => [
    r.service,
    r.mitigation,
    String(r.tried),
    String(r.effective),
    String(r.ineffective),
    String(r.reverted),
    String(r.escalated),
    r.medianMttmSeconds === null ? '—' : `${humanDuration(r.medianMttmSeconds * 1000)} (n=${r.mttmSamples})`,
  ]);
  const widths = HEADERS.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (values: readonly string[]) =>
    values
      .map((v, i) => (i >= 2 && i <= 6 ? v.padStart(widths[i]!) : v.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [
    line(HEADERS),
    ...cells.map(line),
    '',
    'effective: the alarms were back to OK after it; reverted: taken back without having restored service; escalated: a human got the incident after it.',
  ].join('\n');
}
