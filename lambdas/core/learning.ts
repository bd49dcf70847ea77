import * as z from 'zod';

import { type Candidate, type MitigationType, MitigationTypeSchema, type Plan } from './model.js';
import { humanDuration } from './status-update.js';

/**
 * The learning loop: per service and mitigation type, what happened each time Tourniquet tried it.
 * The counts are written by the store in the same transaction as the action outcome they count
 * (lambdas/store/incident-store.ts), so each is counted exactly once; this module reads them.
 *
 * The record informs humans (the decision rationale, the approval email, `tourniquet stats`); it never
 * reorders the decision matrix: the doctrine's hierarchy decides what is tried first.
 */

/** MTTM samples kept per service and mitigation type for the median: the most recent ones. */
export const MTTM_SAMPLES_KEPT = 25;

/** The counters of a learning record, each added to by exactly one kind of action outcome. */
export const OUTCOME_COUNTERS = ['tried', 'effective', 'ineffective', 'reverted', 'escalated'] as const;
export type OutcomeCounter = (typeof OUTCOME_COUNTERS)[number];

const count = z.number().int().min(0).default(0);

/** One service × mitigation type (the `STATS` / `<service>#<type>` item). */
export const MitigationRecordSchema = z.object({
  service: z.string().min(1),
  type: MitigationTypeSchema,
  /** Applied (or found already in place) by the automation. */
  tried: count,
  /** Verification saw the alarms back to OK after it. */
  effective: count,
  /** Verification saw no measurable effect. */
  ineffective: count,
  /** Taken back without having restored service (the workflow's revert of an ineffective change, or `tourniquet undo`). */
  reverted: count,
  /** Tried in an incident that ended with a human paged. */
  escalated: count,
  /** MTTM (seconds) of the incidents it restored, oldest first, at most {@link MTTM_SAMPLES_KEPT}. */
  mttmSamples: z.array(z.number().min(0)).default([]),
  updatedAt: z.iso.datetime({ offset: true }).optional(),
});
export type MitigationRecord = z.infer<typeof MitigationRecordSchema>;

/** The median of some numbers; null for none. */
export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** The samples after one more: the newest {@link MTTM_SAMPLES_KEPT}, oldest first. */
export function withSample(samples: readonly number[], sample: number): number[] {
  return [...samples, Math.max(0, Math.round(sample))].slice(-MTTM_SAMPLES_KEPT);
}

/**
 * A record in one line for people: "kill switch: restored 7 of 8 times for checkout (1 no effect; median MTTM 4 min)".
 * `title` is the catalogue's few words for the type.
 */
export function describeRecord(record: MitigationRecord, title: string = record.type): string {
  const extra: string[] = [];
  if (record.ineffective > 0) extra.push(`${record.ineffective} no effect`);
  if (record.reverted > 0) extra.push(`${record.reverted} reverted`);
  if (record.escalated > 0) extra.push(`${record.escalated} escalated`);
  const mttm = median(record.mttmSamples);
  const tail = [extra.join(', '), mttm === null ? '' : `median MTTM ${humanDuration(mttm * 1000)}`].filter((s) => s !== '').join('; ');
  const restored =
    record.tried === 0 ? `never tried yet for ${record.service}` : `restored ${record.effective} of ${record.tried} ${record.tried === 1 ? 'time' : 'times'} for ${record.service}`;
  return `${title}: ${restored}${tail ? ` (${tail})` : ''}`;
}

/**
 * Adds each candidate's record (when there is one) to its rationale and to the plan's, without
 * touching the order or anything else: the decision matrix and the hierarchy stay in charge.
 */
export function withRecords(plan: Plan, records: readonly MitigationRecord[], titleOf: (type: MitigationType) => string = (type) => type): Plan {
  const byType = new Map(records.filter((r) => r.tried > 0).map((r) => [r.type, r]));
  if (byType.size === 0) return plan;
  const noted = new Set<MitigationType>();
  const candidates = plan.candidates.map((c): Candidate => {
    const record = byType.get(c.type);
    if (!record) return c;
    noted.add(c.type);
    return { ...c, rationale: `${c.rationale} Track record: ${describeRecord(record, titleOf(c.type))}.` };
  });
  if (noted.size === 0) return plan;
  const lines = [...noted].map((type) => describeRecord(byType.get(type)!, titleOf(type)));
  return { ...plan, candidates, rationale: `${plan.rationale} Track record (informs, does not reorder): ${lines.join('; ')}.` };
}
