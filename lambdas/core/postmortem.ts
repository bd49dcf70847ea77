import type { Severity } from './config.js';
import type { ImpactStartSource } from './impact-start.js';
import type { IncidentStatus, Plan, TimelineEvent, Triage } from './model.js';
import { MITIGATION_TARGET_MINUTES } from './severity.js';
import { humanDuration, utcMinute } from './status-update.js';

/**
 * Incident metrics and the postmortem draft. Definitions follow the seeds:
 * - MTTD: impact started → alarm fired;
 * - MTTM: incident declared → service restored;
 * - MTTR: impact started → service restored (MTTD + time to declare + MTTM).
 * Impact start is the metric's first breaching datapoint when triage could read it (the alarm's
 * reason data, or GetMetricData), else estimated from the alarm: it needs M breaching datapoints of
 * P seconds, so the first began M × P before the transition.
 *
 * The draft follows the seeds' template (title line with date, duration and severity; summary;
 * timeline; root cause; impact; action items; lessons learned) and adds what the automation knows
 * that people would otherwise dig out: the metrics, a Mermaid chart of the key moments, what each
 * mitigation did, and the triage evidence as hints for the root cause (hints, not conclusions).
 */

export interface IncidentTimes {
  readonly impactStartedAt?: string;
  readonly alarmAt: string;
  readonly openedAt: string;
  readonly mitigatedAt?: string;
}

export interface IncidentMetrics {
  readonly mttdSeconds: number | null;
  readonly mttmSeconds: number | null;
  readonly mttrSeconds: number | null;
  readonly mitigationTargetMinutes: number;
  readonly withinTarget: boolean | null;
}

const seconds = (from: string | undefined, to: string | undefined): number | null => (from && to ? Math.max(0, Math.round((Date.parse(to) - Date.parse(from)) / 1000)) : null);

/** First breaching datapoint, estimated from the alarm's evaluation settings; undefined when unknown (composite alarms). */
export function estimateImpactStart(alarmAt: string, periodSeconds?: number, datapointsToAlarm?: number): string | undefined {
  if (!periodSeconds || !datapointsToAlarm) return undefined;
  return new Date(Date.parse(alarmAt) - periodSeconds * datapointsToAlarm * 1000).toISOString();
}

export function computeMetrics(times: IncidentTimes, severity: Severity): IncidentMetrics {
  const mttm = seconds(times.openedAt, times.mitigatedAt);
  const target = MITIGATION_TARGET_MINUTES[severity];
  return {
    mttdSeconds: seconds(times.impactStartedAt, times.alarmAt),
    mttmSeconds: mttm,
    mttrSeconds: seconds(times.impactStartedAt ?? times.alarmAt, times.mitigatedAt),
    mitigationTargetMinutes: target,
    withinTarget: mttm === null ? null : mttm <= target * 60,
  };
}

/** A mitigation the automation applied, with what verification measured. */
export interface PostmortemAction {
  /** "feature-flag-off on flag new-checkout-flow in chk4app/prd5env/flg6prf" */
  readonly description: string;
  /** restored: the alarms cleared after it; no-effect: they did not; undefined: not verified (escalated, dry run). */
  readonly effect?: 'restored' | 'no-effect';
  /** Reverted afterwards (as ineffective, or by `tourniquet undo`). */
  readonly reverted?: boolean;
  /** The mitigation type, for the chart's label ("ecs-rollback"). */
  readonly type?: string;
  /** When it was applied (the ledger's completion time). */
  readonly appliedAt?: string;
  readonly undoneAt?: string;
  /** Who or what reverted it ("Tourniquet (no measurable effect): …", "Undo by alice: …"). */
  readonly undoDetail?: string;
}

/** How the incident was closed, when it was. */
export interface PostmortemResolution {
  readonly at: string;
  readonly by: string;
  readonly reason?: string;
}

export interface PostmortemInput {
  readonly incidentId: string;
  readonly service: string;
  readonly alarmName: string;
  /** Every alarm that joined the episode. */
  readonly alarms?: readonly string[];
  readonly severity: Severity;
  /** The incident's status when the draft is rendered. */
  readonly status?: IncidentStatus;
  readonly times: IncidentTimes;
  /** Where impactStartedAt came from; absent on incidents recorded before it was measured (then it was estimated). */
  readonly impactStartSource?: ImpactStartSource;
  /** When the incident was resolved, or now for an incident still open. */
  readonly closedAt: string;
  readonly resolution?: PostmortemResolution;
  readonly impact?: string;
  /** The alarm's runbook (`runbookFor`); the draft asks whether it helped, or for one when there is none. */
  readonly runbook?: string;
  readonly outcome: 'mitigated' | 'escalated';
  readonly timeline: readonly TimelineEvent[];
  /** Mitigations applied, in order. */
  readonly actions: readonly PostmortemAction[];
  readonly metrics: IncidentMetrics;
  /** Times the incident was re-opened by a re-fire. */
  readonly rounds?: number;
  /** The evidence triage gathered and the plan the decision matrix made: the root cause hints. */
  readonly triage?: Triage;
  readonly plan?: Plan;
}

export interface RenderOptions {
  /**
   * Fit the draft in this many UTF-8 bytes (an SNS message: 256 KB with the update around it) by
   * leaving out timeline events from the middle, with a line that says how many and where the
   * whole draft is. @default no limit (the CLI prints everything)
   */
  readonly maxBytes?: number;
}

const fmt = (s: number | null): string => (s === null ? 'unknown' : humanDuration(s * 1000) + ` (${s} s)`);
const hms = (iso: string): string => new Date(iso).toISOString().slice(11, 19);
const bytes = (text: string): number => new TextEncoder().encode(text).length;

/** Which action restored service and which did not, in words the summary can use. */
export function describeOutcomeOfActions(actions: readonly PostmortemAction[]): { restoredBy?: string; ineffective: string[]; list: string } {
  const restoredBy = [...actions].reverse().find((a) => a.effect === 'restored')?.description;
  const ineffective = actions.filter((a) => a.effect === 'no-effect').map((a) => `${a.description}${a.reverted ? ' (reverted)' : ' (kept in place)'}`);
  return { restoredBy, ineffective, list: actions.map((a) => a.description).join(', then ') };
}

/** Where impact start came from, in the words the metrics section uses. */
export function impactStartProvenance(source: ImpactStartSource | undefined, impactStartedAt: string | undefined): string {
  if (!impactStartedAt) return "impact start unknown (the alarm's evaluation settings could not be read)";
  switch (source) {
    case 'reason-data':
      return "measured from the first breaching datapoint (the alarm's reason data)";
    case 'metric-data':
      return 'measured from the first breaching datapoint (GetMetricData over the evaluation range)';
    case 'estimated':
      return "estimated from the alarm's period × datapoints (no datapoints could be read)";
    default:
      return "estimated from the alarm's period × datapoints";
  }
}

/** A postmortem draft in the seeds' template; the sections only humans can write are marked as such. */
export function renderPostmortem(input: PostmortemInput, options: RenderOptions = {}): string {
  const start = input.times.impactStartedAt ?? input.times.alarmAt;
  const outcome = describeOutcomeOfActions(input.actions);
  const noEffect = outcome.ineffective.length ? ` These had no measurable effect: ${outcome.ineffective.join('; ')}.` : '';
  const alarms = input.alarms && input.alarms.length > 1 ? ` Alarms in this episode: ${input.alarms.join(', ')}.` : '';
  const reopened = input.rounds ? ` The alarm fired again after a fix and re-opened the incident ${input.rounds} time(s).` : '';
  const duration = `${humanDuration(Date.parse(input.times.mitigatedAt ?? input.closedAt) - Date.parse(start))}${input.times.mitigatedAt ? '' : ' (not restored by automation)'}`;
  const byHuman = input.resolution && !resolvedByAutomation(input.resolution.by);

  const head = [
    `# Postmortem draft: ${input.incidentId}`,
    '',
    `Date: ${input.times.alarmAt.slice(0, 10)} · Duration: ${duration} · Severity: ${input.severity}  `,
    `Service: ${input.service} · Alarm: ${input.alarmName}${input.status ? ` · Status: ${input.status}` : ''}  `,
    `Runbook: ${input.runbook ?? 'none configured for this alarm'}`,
    '',
    '## Summary',
    (input.outcome === 'mitigated'
      ? `Alarm "${input.alarmName}" fired at ${utcMinute(input.times.alarmAt)}. Service was restored by ${outcome.restoredBy ?? outcome.list}: the alarms returned to OK at ${utcMinute(input.times.mitigatedAt!)}.${noEffect}${alarms}${reopened}`
      : `Alarm "${input.alarmName}" fired at ${utcMinute(input.times.alarmAt)}. Automation could not restore service${input.actions.length ? ` (tried ${outcome.list})` : ' and took no action'}; a human was paged.${noEffect}${alarms}${reopened}`) +
      (byHuman
        ? ` ${input.resolution!.by} resolved it at ${utcMinute(input.resolution!.at)}${input.resolution!.reason ? `: ${input.resolution!.reason.replace(/\.$/, '')}` : ''}.`
        : ''),
    '',
    ...(input.resolution
      ? [
          '## Resolution',
          `Resolved at ${utcMinute(input.resolution.at)} by ${input.resolution.by}${input.resolution.reason ? `: ${input.resolution.reason}` : '.'}${byHuman ? ` (${humanDuration(Date.parse(input.resolution.at) - Date.parse(input.times.openedAt))} after the incident was opened).` : ''}`,
          '',
        ]
      : []),
    '## Metrics',
    `- MTTD (impact started → alarm): ${fmt(input.metrics.mttdSeconds)}${input.metrics.mttdSeconds === null ? '' : `, ${impactStartProvenance(input.impactStartSource, input.times.impactStartedAt)}`}`,
    `- MTTM (incident declared → service restored): ${fmt(input.metrics.mttmSeconds)}`,
    `- MTTR (impact started → service restored): ${fmt(input.metrics.mttrSeconds)}`,
    `- ${input.severity} mitigation target: ${input.metrics.mitigationTargetMinutes} min${input.metrics.withinTarget === null ? '' : input.metrics.withinTarget ? ' (met)' : ' (missed)'}`,
    '',
    '## What was tried',
    ...actionsTable(input.actions, input.times.mitigatedAt, input.timeline),
    '',
    '## Timeline (UTC)',
    ...mermaidTimeline(input),
    '',
  ];
  const tail = [
    '',
    '## Root Cause',
    '*To be determined* by the owning team. Tourniquet mitigates; it does not diagnose.',
    '',
    ...rootCauseHints(input),
    '',
    '## Impact',
    `- ${input.impact ?? 'Describe who was affected and how.'}`,
    `- Impact window: ${utcMinute(start)} to ${input.times.mitigatedAt ? utcMinute(input.times.mitigatedAt) : byHuman ? `${utcMinute(input.resolution!.at)} at the latest (resolved by a human)` : 'not restored by automation'}`,
    '- Users affected: _fill in_',
    '- Revenue impact: _fill in_',
    '- Data loss: _fill in (none expected from the mitigations applied)_',
    '',
    '## Action Items',
    '| Action | Owner | Due Date |',
    '|---|---|---|',
    ...(input.outcome === 'mitigated'
      ? [
          `| Fix the cause, then undo the mitigation in place (${cell(
            input.actions
              .filter((a) => !a.reverted)
              .map((a) => a.description)
              .join(', '),
          )}) | _owner_ | _date_ |`,
        ]
      : ['| Find and apply a mitigation; add it to the Tourniquet config so automation can act next time | _owner_ | _date_ |']),
    ...input.actions.filter((a) => a.effect === 'no-effect').map((a) => `| Find out why ${cell(a.description)} did not help; keep or drop it as a candidate | _owner_ | _date_ |`),
    input.runbook
      ? `| Check that the runbook told the responder what to do, and add what this incident taught: ${cell(input.runbook)} | _owner_ | _date_ |`
      : `| Write a runbook for alarm ${cell(input.alarmName)} and add it to the Tourniquet config (\`runbook\`) | _owner_ | _date_ |`,
    '| Review whether the alarm could have fired sooner | _owner_ | _date_ |',
    '',
    '## Lessons Learned',
    '- _What went well, what went badly, where we got lucky._',
    '',
  ];
  const events = input.timeline.map((e) => `- ${hms(e.at)} ${e.message}`);
  const whole = [...head, ...events, ...tail].join('\n');
  if (options.maxBytes === undefined || bytes(whole) <= options.maxBytes) return whole;
  return [...head, ...fitEvents(input, options.maxBytes - bytes([...head, ...tail].join('\n')) - 2), ...tail].join('\n');
}

/** True for the resolution the automation writes at the end of a quiet watch period. */
export function resolvedByAutomation(by: string): boolean {
  return by.startsWith('Tourniquet');
}

/** A Markdown table cell: pipes would end the cell, line breaks the row. */
const cell = (text: string): string => text.replace(/\|/g, '\\|').replace(/\s*\n\s*/g, ' ');

function actionsTable(actions: readonly PostmortemAction[], mitigatedAt: string | undefined, timeline: readonly TimelineEvent[]): string[] {
  if (actions.length === 0) return ['Nothing: automation changed nothing.'];
  return [
    '| # | Mitigation | Applied (UTC) | Verdict | Afterwards |',
    '|---|---|---|---|---|',
    ...actions.map((a, i) => {
      const verdict =
        a.effect === 'restored'
          ? `**restored service**${mitigatedAt ? ` (alarms OK by ${hms(mitigatedAt)})` : ''}`
          : a.effect === 'no-effect'
            ? 'no measurable effect'
            : 'not verified';
      const after = a.reverted ? `reverted${a.undoneAt ? ` at ${hms(a.undoneAt)}` : ''}${undoneBy(a, timeline)}` : 'still in place';
      return `| ${i + 1} | ${cell(a.description)} | ${a.appliedAt ? hms(a.appliedAt) : '—'} | ${verdict} | ${cell(after)} |`;
    }),
  ];
}

/** Who reverted an action, from its `Undo by <who>: <detail>` timeline entry. */
function undoneBy(action: PostmortemAction, timeline: readonly TimelineEvent[]): string {
  if (!action.undoDetail) return '';
  const event = timeline.find((e) => e.kind === 'mitigation' && e.message.startsWith('Undo by ') && e.message.endsWith(`: ${action.undoDetail}`));
  return event ? ` by ${event.message.slice('Undo by '.length, event.message.length - action.undoDetail.length - 2)}` : '';
}

/** The timeline events that fit in `budget` bytes: the first ones and the last few, with a line for those left out. */
function fitEvents(input: PostmortemInput, budget: number): string[] {
  const line = (e: TimelineEvent): string => {
    const text = `- ${hms(e.at)} ${e.message}`;
    return text.length > 1000 ? `${text.slice(0, 999)}…` : text;
  };
  const all = input.timeline.map(line);
  const marker = (left: number): string =>
    `- … ${left.toLocaleString('en-US')} more event${left === 1 ? '' : 's'} not shown here (message size limit): tourniquet postmortem ${input.incidentId}`;
  const room = budget - bytes(marker(all.length)) - 1;
  const tailRoom = Math.floor(room / 4);
  const tail: string[] = [];
  let used = 0;
  for (let i = all.length - 1; i >= 0 && tail.length < 10; i--) {
    const size = bytes(all[i]!) + 1;
    if (used + size > tailRoom) break;
    tail.unshift(all[i]!);
    used += size;
  }
  const head: string[] = [];
  for (const text of all.slice(0, all.length - tail.length)) {
    const size = bytes(text) + 1;
    if (used + size > room) break;
    head.push(text);
    used += size;
  }
  return [...head, marker(all.length - head.length - tail.length), ...tail];
}

/** The root cause section's hints: what changed and what triage saw, never a conclusion. */
function rootCauseHints(input: PostmortemInput): string[] {
  const hints: string[] = [];
  const alarmAt = Date.parse(input.times.alarmAt);
  const before = (iso: string): string => {
    const minutes = Math.round((alarmAt - Date.parse(iso)) / 60_000);
    return minutes >= 0 ? `${minutes} min before the alarm` : `${-minutes} min after the alarm`;
  };
  const triage = input.triage;
  if (triage) {
    for (const c of triage.flagChanges) {
      hints.push(
        `- Feature flag \`${c.flag}\` went ${c.from === null ? 'from absent' : c.from ? 'from on' : 'from off'} to ${c.to ? 'on' : 'off'} at ${hms(c.changedAt)} (${before(c.changedAt)}; AppConfig deployment #${c.deploymentNumber}, version ${c.configurationVersion}).`,
      );
    }
    for (const d of triage.ecsDeployments) {
      hints.push(
        `- ECS deployment ${d.deploymentId} of ${d.taskDefinition.split('/').pop()} on ${d.cluster}/${d.service} at ${hms(d.createdAt)} (${before(d.createdAt)}; ${d.status}${d.rolloutState ? `, ${d.rolloutState}` : ''}).`,
      );
    }
    if (triage.flagChanges.length === 0 && triage.ecsDeployments.length === 0) {
      hints.push(`- No deployment or flag change between ${hms(triage.window.from)} and ${hms(triage.window.to)} (the change window triage read).`);
    }
    const symptoms = SYMPTOM_WORDS.filter(([key]) => triage.symptoms[key]).map(([, words]) => words);
    if (symptoms.length > 0) hints.push(`- Symptom alarms in ALARM: ${symptoms.join('; ')}.`);
    if (triage.gaps.length > 0) hints.push(`- Triage could not read: ${triage.gaps.join('; ')} (the evidence above may be incomplete).`);
  }
  const symptomSignals = input.timeline.filter((e) => e.kind === 'signal' && /^symptom\b/i.test(e.message)).map((e) => `${hms(e.at)} ${e.message}`);
  if (symptomSignals.length > 0)
    hints.push(`- Symptom signals during the incident: ${symptomSignals.slice(0, 5).join('; ')}${symptomSignals.length > 5 ? ` (and ${symptomSignals.length - 5} more)` : ''}.`);
  if (input.plan) hints.push(`- The decision matrix concluded **${input.plan.scenario}**: ${input.plan.rationale}`);
  const ineffective = input.actions.filter((a) => a.effect === 'no-effect');
  if (ineffective.length > 0) hints.push(`- Ruled out as the whole story: ${ineffective.map((a) => a.description).join('; ')} had no measurable effect.`);
  if (hints.length === 0) return ['Triage recorded no evidence for this incident (it did not run, or found nothing).'];
  return ['Hints from triage and the decision (hints, not conclusions: a change shortly before the alarm is a correlation, not a cause):', ...hints];
}

const SYMPTOM_WORDS: readonly (readonly [keyof Triage['symptoms'], string])[] = [
  ['downstreamFailure', 'a downstream dependency was failing'],
  ['regionalFailure', 'the region was failing'],
  ['databaseFailure', 'the database was failing'],
  ['trafficFlood', 'a traffic flood'],
  ['saturation', 'saturation (capacity)'],
];

/** At most this many moments in the chart: it shows the shape of the incident, the list below has every event. */
export const MAX_CHART_MOMENTS = 40;

/**
 * Mermaid's gantt lexer ends a task name at `:` (its data follows), `;` (a statement separator) and
 * `#` (a comment), and reads a name that starts with a keyword or a date as that keyword: labels
 * lose those characters and never start with one.
 */
export function mermaidLabel(text: string): string {
  const clean = text
    .replace(/[:;#%\r\n\t]/g, ' ')
    .replace(/ +/g, ' ')
    .trim();
  const cut = clean.length > 70 ? `${clean.slice(0, 69).trimEnd()}…` : clean;
  const safe = cut === '' ? 'event' : cut;
  return /^(click|call|href|section|title|gantt|dateformat|axisformat|tickinterval|includes|excludes|todaymarker|weekday|inclusiveenddates|topaxis|acctitle|accdescr|\d{4}-\d\d-\d\d)/i.test(
    safe,
  )
    ? `at ${safe}`
    : safe;
}

const ganttTime = (iso: string): string => new Date(iso).toISOString().slice(0, 19).replace('T', ' ');

interface Moment {
  readonly section: 'Detection' | 'Response' | 'Humans' | 'Recovery';
  readonly label: string;
  readonly at: string;
  /** A bar: seconds it lasted; a milestone when absent. */
  readonly seconds?: number;
  readonly tag?: 'crit' | 'done' | 'active';
}

/** The key moments of the incident as a Mermaid gantt chart (time axis in UTC), followed by nothing else. */
function mermaidTimeline(input: PostmortemInput): string[] {
  const moments: Moment[] = [];
  const t = input.times;
  if (t.impactStartedAt) {
    moments.push({
      section: 'Detection',
      label: input.impactStartSource === 'reason-data' || input.impactStartSource === 'metric-data' ? 'Impact started (first breaching datapoint)' : 'Impact started (estimated)',
      at: t.impactStartedAt,
    });
  }
  moments.push({ section: 'Detection', label: `Alarm ${input.alarmName} fired`, at: t.alarmAt });
  moments.push({ section: 'Detection', label: `Incident opened (${input.severity})`, at: t.openedAt });
  let pages = 0;
  let cleared = 0;
  for (const e of input.timeline) {
    const decision = e.kind === 'decision' ? /^Decision \(([^)]+)\)/.exec(e.message) : null;
    if (decision) moments.push({ section: 'Response', label: `Decision ${decision[1]}`, at: e.at });
    else if (e.kind === 'decision' && /^Approval requested for (\S+)/.test(e.message))
      moments.push({ section: 'Humans', label: `Approval requested for ${/^Approval requested for (\S+)/.exec(e.message)![1]}`, at: e.at });
    else if (e.kind === 'decision' && /^(Approved|Rejected)\b/.test(e.message)) moments.push({ section: 'Humans', label: e.message.split(/: |; | \(/)[0]!, at: e.at });
    else if (e.kind === 'reopened' || e.kind === 'alarm-refired') moments.push({ section: 'Detection', label: 'Alarm fired again (re-opened)', at: e.at });
    else if (e.kind === 'watch') moments.push({ section: 'Recovery', label: 'Fix did not hold', at: e.at, tag: 'crit' });
    else if (e.kind === 'escalation') moments.push({ section: 'Humans', label: 'Escalated to a human', at: e.at, tag: 'crit' });
    else if (e.kind === 'page' && ++pages <= 3) moments.push({ section: 'Humans', label: pages === 1 ? 'Paged' : `Paged again (${pages})`, at: e.at });
    else if (e.kind === 'acknowledged') moments.push({ section: 'Humans', label: e.message.split(/[.:]/)[0]!, at: e.at });
    else if (e.kind === 'signal' && e.message.startsWith('cleared: ') && ++cleared <= 3) {
      moments.push({ section: 'Recovery', label: `${e.message.slice('cleared: '.length).split(' ')[0]} back to OK`, at: e.at });
    }
  }
  for (const a of input.actions) {
    if (!a.appliedAt) continue;
    const name = a.type ?? a.description.split(' ')[0]!;
    const end = a.reverted && a.undoneAt ? a.undoneAt : a.effect === 'restored' && t.mitigatedAt ? t.mitigatedAt : undefined;
    const verdict =
      a.effect === 'restored' ? 'restored service' : a.effect === 'no-effect' ? `no effect${a.reverted ? ', reverted' : ', kept'}` : a.reverted ? 'reverted' : 'not verified';
    const tag = a.effect === 'restored' ? 'done' : a.effect === 'no-effect' ? 'crit' : undefined;
    moments.push({
      section: 'Response',
      label: `${name} - ${verdict}`,
      at: a.appliedAt,
      ...(end ? { seconds: Math.max(1, Math.round((Date.parse(end) - Date.parse(a.appliedAt)) / 1000)) } : {}),
      ...(tag ? { tag } : {}),
    });
  }
  if (t.mitigatedAt) moments.push({ section: 'Recovery', label: 'Service restored (alarms OK)', at: t.mitigatedAt, tag: 'done' });
  if (input.resolution) {
    const automatic = resolvedByAutomation(input.resolution.by);
    if (automatic && t.mitigatedAt && Date.parse(input.resolution.at) > Date.parse(t.mitigatedAt)) {
      moments.push({
        section: 'Recovery',
        label: 'Watch period',
        at: t.mitigatedAt,
        seconds: Math.round((Date.parse(input.resolution.at) - Date.parse(t.mitigatedAt)) / 1000),
        tag: 'active',
      });
    }
    moments.push({
      section: automatic ? 'Recovery' : 'Humans',
      label: automatic ? 'Resolved (quiet watch period)' : `Resolved by ${input.resolution.by}`,
      at: input.resolution.at,
    });
  }

  const sorted = moments.sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
  const shown = sorted.slice(0, MAX_CHART_MOMENTS);
  const lines = ['```mermaid', 'gantt', `    title ${mermaidLabel(`${input.incidentId} (UTC)`)}`, '    dateFormat YYYY-MM-DD HH:mm:ss', '    axisFormat %H:%M'];
  for (const section of ['Detection', 'Response', 'Humans', 'Recovery'] as const) {
    const inSection = shown.filter((m) => m.section === section);
    if (inSection.length === 0) continue;
    lines.push(`    section ${section}`);
    for (const m of inSection) {
      const tags = [m.tag, m.seconds === undefined ? 'milestone' : undefined].filter((x) => x !== undefined);
      lines.push(`    ${mermaidLabel(m.label)} :${tags.length ? `${tags.join(', ')}, ` : ''}${ganttTime(m.at)}, ${m.seconds ?? 0}s`);
    }
  }
  if (sorted.length > shown.length) lines.push(`    %% ${sorted.length - shown.length} more moments are in the list below`);
  lines.push('```');
  return lines;
}
