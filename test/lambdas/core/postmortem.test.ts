import { describe, expect, it } from '@jest/globals';

import type { Plan, TimelineEvent, Triage } from '../../../lambdas/core/model.js';
import {
  computeMetrics,
  describeOutcomeOfActions,
  estimateImpactStart,
  impactStartProvenance,
  mermaidLabel,
  type PostmortemInput,
  renderPostmortem,
} from '../../../lambdas/core/postmortem.js';

const times = {
  impactStartedAt: '2026-11-23T03:07:00.000Z',
  alarmAt: '2026-11-23T03:10:00.000Z',
  openedAt: '2026-11-23T03:10:06.000Z',
  mitigatedAt: '2026-11-23T03:14:06.000Z',
};

describe('metrics', () => {
  it('estimates impact start as M periods before the transition', () => {
    expect(estimateImpactStart('2026-11-23T03:10:00.000Z', 60, 3)).toBe('2026-11-23T03:07:00.000Z');
    expect(estimateImpactStart('2026-11-23T03:10:00.000Z', undefined, 3)).toBeUndefined();
  });

  it('computes MTTD, MTTM and MTTR as the seeds define them', () => {
    expect(computeMetrics(times, 'SEV2')).toEqual({ mttdSeconds: 180, mttmSeconds: 240, mttrSeconds: 426, mitigationTargetMinutes: 120, withinTarget: true });
  });

  it('leaves MTTM and MTTR unknown when service was not restored', () => {
    expect(computeMetrics({ ...times, mitigatedAt: undefined }, 'SEV1')).toMatchObject({ mttmSeconds: null, mttrSeconds: null, withinTarget: null });
  });

  it('flags a missed target', () => {
    expect(computeMetrics({ ...times, mitigatedAt: '2026-11-23T03:50:00.000Z' }, 'SEV1').withinTarget).toBe(false);
  });
});

describe('postmortem draft', () => {
  it('has every section of the template and the timeline', () => {
    const text = renderPostmortem({
      incidentId: 'inc-1',
      service: 'checkout',
      alarmName: 'checkout-5xx-rate',
      severity: 'SEV2',
      times,
      closedAt: '2026-11-23T03:14:10.000Z',
      outcome: 'mitigated',
      timeline: [{ at: '2026-11-23T03:10:06.000Z', kind: 'incident-opened', message: 'Incident opened' }],
      actions: [{ description: 'feature-flag-off on flag new-checkout-flow', effect: 'restored' }],
      metrics: computeMetrics(times, 'SEV2'),
    });
    for (const section of ['## Summary', '## Metrics', '## Timeline (UTC)', '## Root Cause', '## Impact', '## Action Items', '## Lessons Learned']) expect(text).toContain(section);
    expect(text).toContain('- 03:10:06 Incident opened');
    expect(text).toContain('MTTM (incident declared → service restored): 4 min (240 s)');
    expect(text).toContain('Service was restored by feature-flag-off on flag new-checkout-flow: the alarms returned to OK at 2026-11-23 03:14 UTC.');
    expect(text).toContain('Duration: 7 min');
    expect(text).not.toContain('no measurable effect');
  });

  const base = {
    incidentId: 'inc-1',
    service: 'checkout',
    alarmName: 'checkout-5xx-rate',
    severity: 'SEV2' as const,
    times,
    closedAt: '2026-11-23T03:30:00.000Z',
    timeline: [],
    metrics: computeMetrics(times, 'SEV2'),
  };

  it('names the action that restored service and the ones that had no measurable effect, reverted or kept', () => {
    const text = renderPostmortem({
      ...base,
      outcome: 'mitigated',
      actions: [
        { description: 'feature-flag-off on flag new-checkout-flow', effect: 'no-effect' },
        { description: 'ecs-rollback on shop-prod/checkout', effect: 'no-effect', reverted: true },
        { description: 'route53-failover on api.example.com', effect: 'restored' },
      ],
      alarms: ['checkout-5xx-rate', 'checkout-p99-latency'],
      rounds: 1,
    });
    expect(text).toContain('Service was restored by route53-failover on api.example.com');
    expect(text).toContain('These had no measurable effect: feature-flag-off on flag new-checkout-flow (kept in place); ecs-rollback on shop-prod/checkout (reverted).');
    expect(text).toContain('Alarms in this episode: checkout-5xx-rate, checkout-p99-latency.');
    expect(text).toContain('re-opened the incident 1 time(s)');
    // Only what is still in place needs undoing.
    expect(text).toContain('undo the mitigation in place (feature-flag-off on flag new-checkout-flow, route53-failover on api.example.com)');
  });

  it('says automation could not restore service when escalated, listing what it tried', () => {
    const tried = renderPostmortem({
      ...base,
      times: { ...times, mitigatedAt: undefined },
      outcome: 'escalated',
      actions: [{ description: 'ecs-rollback on shop-prod/checkout', effect: 'no-effect' }],
    });
    expect(tried).toContain('Automation could not restore service (tried ecs-rollback on shop-prod/checkout); a human was paged.');
    expect(tried).toContain('(not restored by automation)');
    const none = renderPostmortem({ ...base, times: { ...times, mitigatedAt: undefined }, outcome: 'escalated', actions: [] });
    expect(none).toContain('Automation could not restore service and took no action; a human was paged.');
  });

  it("names the alarm's runbook in its header and asks to improve it, or to write one when there is none", () => {
    const runbook = 'https://runbooks.example.com/checkout/5xx-rate';
    const escalated = { ...base, outcome: 'escalated' as const, actions: [] };
    const withRunbook = renderPostmortem({ ...escalated, runbook });
    expect(withRunbook).toContain(`Runbook: ${runbook}`);
    expect(withRunbook).toContain(`| Check that the runbook told the responder what to do, and add what this incident taught: ${runbook} | _owner_ | _date_ |`);
    const without = renderPostmortem(escalated);
    expect(without).toContain('Runbook: none configured for this alarm');
    expect(without).toContain('| Write a runbook for alarm checkout-5xx-rate and add it to the Tourniquet config (`runbook`) | _owner_ | _date_ |');
  });
});

describe('describeOutcomeOfActions', () => {
  it('takes the last restoring action, lists the ineffective ones, and joins the rest in order', () => {
    expect(
      describeOutcomeOfActions([
        { description: 'a', effect: 'restored' },
        { description: 'b', effect: 'no-effect', reverted: true },
        { description: 'c', effect: 'restored' },
        { description: 'd' },
      ]),
    ).toEqual({ restoredBy: 'c', ineffective: ['b (reverted)'], list: 'a, then b, then c, then d' });
    expect(describeOutcomeOfActions([])).toEqual({ restoredBy: undefined, ineffective: [], list: '' });
  });
});

/**
 * What Mermaid's gantt lexer (packages/mermaid/src/diagrams/gantt/parser/gantt.jison) accepts, line
 * by line: keywords, `section <name>` with no `:;#`, and tasks `<name>:<data>` where the name has no
 * `:;#` and does not start with a keyword or a date, and the data has no `;#`. The data is what
 * ganttDb reads: tags, then a start in the dateFormat and a duration.
 */
function ganttProblems(markdown: string): string[] {
  const block = /```mermaid\n([\s\S]*?)\n```/.exec(markdown);
  if (!block) return ['no mermaid block'];
  const lines = block[1]!.split('\n').map((l) => l.trim());
  const problems: string[] = [];
  if (lines[0] !== 'gantt') problems.push(`first line is not gantt: ${lines[0]}`);
  const keyword =
    /^(click|call|href|section|title|gantt|dateformat|axisformat|tickinterval|includes|excludes|todaymarker|weekday|inclusiveenddates|topaxis|acctitle|accdescr|\d{4}-\d\d-\d\d)/i;
  for (const line of lines.slice(1)) {
    if (line === '' || line.startsWith('%%')) continue;
    if (/^(title|dateFormat|axisFormat) [^#\n;]+$/.test(line)) continue;
    if (/^section [^#:\n;]+$/.test(line)) continue;
    const task = /^([^#:\n;]+):([^#\n;]+)$/.exec(line);
    if (!task) {
      problems.push(`not a statement: ${line}`);
      continue;
    }
    if (keyword.test(task[1]!)) problems.push(`task name starts with a keyword: ${line}`);
    const data = task[2]!.split(',').map((d) => d.trim());
    const tags = data.filter((d) => ['active', 'done', 'crit', 'milestone'].includes(d));
    const rest = data.slice(tags.length);
    if (data.slice(0, tags.length).join() !== tags.join()) problems.push(`tags not first: ${line}`);
    if (rest.length !== 2 || !/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/.test(rest[0]!) || !/^\d+s$/.test(rest[1]!)) problems.push(`data is not start, duration: ${line}`);
    if (tags.includes('milestone') !== (rest[1] === '0s')) problems.push(`a milestone has no duration, a bar has one: ${line}`);
  }
  return problems;
}

describe('the postmortem draft a team starts from', () => {
  const triage: Triage = {
    severity: 'SEV2',
    window: { from: '2026-11-23T02:40:00.000Z', to: '2026-11-23T03:10:00.000Z' },
    alarm: { name: 'checkout-5xx-rate', state: 'ALARM', periodSeconds: 60, evaluationPeriods: 3, datapointsToAlarm: 3 },
    alarms: ['checkout-5xx-rate'],
    flagChanges: [{ flag: 'new-checkout-flow', from: false, to: true, deploymentNumber: 7, configurationVersion: '2', changedAt: '2026-11-23T03:05:00.000Z' }],
    ecsDeployments: [
      {
        cluster: 'shop-prod',
        service: 'checkout',
        deploymentId: 'ecs-svc/1',
        taskDefinition: 'arn:aws:ecs:us-east-1:1:task-definition/checkout:42',
        status: 'PRIMARY',
        createdAt: '2026-11-23T03:04:00.000Z',
      },
    ],
    symptoms: { downstreamFailure: true, regionalFailure: false, trafficFlood: false, saturation: false, databaseFailure: false },
    gaps: ['ECS deployments of search: AccessDeniedException'],
  };
  const plan: Plan = { scenario: 'mixed-change', candidates: [], hasCandidate: true, rationale: 'Matrix case: mixed-change. Will try: feature-flag-off → ecs-rollback.' };
  const input: PostmortemInput = {
    incidentId: 'inc-1',
    service: 'checkout',
    // Hostile names: every character Mermaid would trip on.
    alarmName: 'checkout:5xx;rate#1',
    severity: 'SEV2',
    status: 'RESOLVED',
    times: { ...times, mitigatedAt: '2026-11-23T03:20:06.000Z' },
    impactStartSource: 'reason-data',
    closedAt: '2026-11-23T03:30:00.000Z',
    resolution: { at: '2026-11-23T03:30:00.000Z', by: 'Tourniquet (quiet watch period)' },
    outcome: 'mitigated',
    timeline: [
      { at: '2026-11-23T03:10:06.000Z', kind: 'incident-opened', message: 'Incident opened' },
      { at: '2026-11-23T03:10:09.000Z', kind: 'triage', message: 'Triage (30 min window): flag new-checkout-flow off → on' },
      { at: '2026-11-23T03:10:10.000Z', kind: 'decision', message: 'Decision (mixed-change): Matrix case: mixed-change.' },
      { at: '2026-11-23T03:10:12.000Z', kind: 'decision', message: 'Approval requested for ecs-rollback on ECS service shop-prod/checkout (risk medium); expires 03:25' },
      { at: '2026-11-23T03:12:12.000Z', kind: 'decision', message: 'Approved ecs-rollback on ECS service shop-prod/checkout by alice: go' },
      { at: '2026-11-23T03:11:00.000Z', kind: 'signal', message: 'symptom: recommendations-api-errors entered ALARM' },
      { at: '2026-11-23T03:12:00.000Z', kind: 'mitigation', message: 'Undo by Tourniquet (no measurable effect): flag back on' },
    ],
    actions: [
      {
        description: 'feature-flag-off on flag new-checkout-flow',
        type: 'feature-flag-off',
        appliedAt: '2026-11-23T03:10:11.000Z',
        effect: 'no-effect',
        reverted: true,
        undoneAt: '2026-11-23T03:12:00.000Z',
        undoDetail: 'flag back on',
      },
      { description: 'ecs-rollback on ECS service shop-prod/checkout | checkout:41', type: 'ecs-rollback', appliedAt: '2026-11-23T03:12:13.000Z', effect: 'restored' },
    ],
    metrics: computeMetrics({ ...times, mitigatedAt: '2026-11-23T03:20:06.000Z' }, 'SEV2'),
    triage,
    plan,
  };

  it('has every section of the seeds template, in order, with the title line and the metrics', () => {
    const text = renderPostmortem(input);
    const sections = [
      '# Postmortem draft: inc-1',
      '## Summary',
      '## Resolution',
      '## Metrics',
      '## What was tried',
      '## Timeline (UTC)',
      '## Root Cause',
      '## Impact',
      '## Action Items',
      '## Lessons Learned',
    ];
    const positions = sections.map((s) => (text.indexOf(`\n${s}\n`) >= 0 || text.startsWith(`${s}\n`) ? text.indexOf(s) : -1));
    expect(positions.every((p) => p >= 0)).toBe(true);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
    expect(text.split('\n')[2]).toBe('Date: 2026-11-23 · Duration: 13 min · Severity: SEV2  ');
    expect(text).toContain("MTTD (impact started → alarm): 3 min (180 s), measured from the first breaching datapoint (the alarm's reason data)");
    expect(text).toContain('*To be determined* by the owning team.');
    expect(text).toContain('- Revenue impact: _fill in_');
  });

  it('says which action restored service and which had no effect or were reverted', () => {
    const text = renderPostmortem(input);
    expect(text).toContain('| 1 | feature-flag-off on flag new-checkout-flow | 03:10:11 | no measurable effect | reverted at 03:12:00 by Tourniquet (no measurable effect) |');
    expect(text).toContain('| 2 | ecs-rollback on ECS service shop-prod/checkout \\| checkout:41 | 03:12:13 | **restored service** (alarms OK by 03:20:06) | still in place |');
    expect(text).toContain('| Find out why feature-flag-off on flag new-checkout-flow did not help; keep or drop it as a candidate | _owner_ | _date_ |');
  });

  it('gives the triage evidence and the decision as hints for the root cause, not conclusions', () => {
    const text = renderPostmortem(input);
    const rootCause = text.slice(text.indexOf('## Root Cause'), text.indexOf('## Impact'));
    expect(rootCause).toContain('hints, not conclusions');
    expect(rootCause).toContain('- Feature flag `new-checkout-flow` went from off to on at 03:05:00 (5 min before the alarm; AppConfig deployment #7, version 2).');
    expect(rootCause).toContain('- ECS deployment ecs-svc/1 of checkout:42 on shop-prod/checkout at 03:04:00 (6 min before the alarm; PRIMARY).');
    expect(rootCause).toContain('- Symptom alarms in ALARM: a downstream dependency was failing.');
    expect(rootCause).toContain('- Symptom signals during the incident: 03:11:00 symptom: recommendations-api-errors entered ALARM.');
    expect(rootCause).toContain('- Triage could not read: ECS deployments of search: AccessDeniedException');
    expect(rootCause).toContain('- The decision matrix concluded **mixed-change**: Matrix case: mixed-change. Will try: feature-flag-off → ecs-rollback.');
    expect(rootCause).toContain('- Ruled out as the whole story: feature-flag-off on flag new-checkout-flow had no measurable effect.');
    const bare = renderPostmortem({ ...input, triage: undefined, plan: undefined, actions: [], timeline: [] });
    expect(bare).toContain('Triage recorded no evidence for this incident');
  });

  it('draws the key moments as a Mermaid gantt chart Mermaid can parse, even with hostile names', () => {
    const text = renderPostmortem(input);
    expect(ganttProblems(text)).toEqual([]);
    const chart = /```mermaid\n([\s\S]*?)\n```/.exec(text)![1]!;
    for (const moment of [
      'Impact started (first breaching datapoint) :milestone, 2026-11-23 03:07:00, 0s',
      'Alarm checkout 5xx rate 1 fired :milestone, 2026-11-23 03:10:00, 0s',
      'Incident opened (SEV2) :milestone, 2026-11-23 03:10:06, 0s',
      'Decision mixed-change :milestone, 2026-11-23 03:10:10, 0s',
      'feature-flag-off - no effect, reverted :crit, 2026-11-23 03:10:11, 109s',
      'Approval requested for ecs-rollback :milestone, 2026-11-23 03:10:12, 0s',
      'Approved ecs-rollback on ECS service shop-prod/checkout by alice :milestone, 2026-11-23 03:12:12, 0s',
      'ecs-rollback - restored service :done, 2026-11-23 03:12:13, 473s',
      'Service restored (alarms OK) :done, milestone, 2026-11-23 03:20:06, 0s',
      'Watch period :active, 2026-11-23 03:20:06, 594s',
      'Resolved (quiet watch period) :milestone, 2026-11-23 03:30:00, 0s',
    ]) {
      expect(chart).toContain(`    ${moment}`);
    }
    expect(chart).toMatch(/section Detection[\s\S]*section Response[\s\S]*section Humans[\s\S]*section Recovery/);
  });

  it('escapes what Mermaid reads as syntax and never starts a label with a keyword or a date', () => {
    expect(mermaidLabel('a: b; c # d %% e')).toBe('a b c d e');
    expect(mermaidLabel('click me')).toBe('at click me');
    expect(mermaidLabel('2026-11-23 deploy')).toBe('at 2026-11-23 deploy');
    expect(mermaidLabel(':;#')).toBe('event');
    expect(mermaidLabel('x'.repeat(200))).toHaveLength(70);
    const escalated = renderPostmortem({
      ...input,
      outcome: 'escalated',
      times: { ...times, mitigatedAt: undefined },
      resolution: { at: '2026-11-23T05:00:00.000Z', by: 'alice', reason: 'provider recovered' },
      actions: [],
      timeline: [
        { at: '2026-11-23T03:10:30.000Z', kind: 'escalation', message: 'Escalated to a human: nothing to do' },
        ...Array.from({ length: 50 }, (_, i): TimelineEvent => ({
          at: new Date(Date.parse('2026-11-23T03:15:00.000Z') + i * 60_000).toISOString(),
          kind: 'page',
          message: 'Paged',
        })),
        { at: '2026-11-23T04:00:00.000Z', kind: 'acknowledged', message: 'Acknowledged by bob: on it. Re-pages stop.' },
        { at: '2026-11-23T04:41:00.000Z', kind: 'signal', message: 'cleared: checkout:5xx;rate#1 went to OK at 2026-11-23 04:41 UTC' },
      ],
    });
    expect(ganttProblems(escalated)).toEqual([]);
    expect(escalated).toContain('    Paged again (3) :milestone');
    expect(escalated).not.toContain('Paged again (4)');
    expect(escalated).toContain('    Acknowledged by bob :milestone, 2026-11-23 04:00:00, 0s');
    expect(escalated).toContain('    Resolved by alice :milestone, 2026-11-23 05:00:00, 0s');
    expect(escalated).toContain('    checkout 5xx rate 1 back to OK :milestone, 2026-11-23 04:41:00, 0s');
  });

  it('names who resolved it and why when a human did, and the impact window ends there at the latest', () => {
    const text = renderPostmortem({
      ...input,
      outcome: 'escalated',
      times: { ...times, mitigatedAt: undefined },
      metrics: computeMetrics({ ...times, mitigatedAt: undefined }, 'SEV2'),
      resolution: { at: '2026-11-23T05:00:00.000Z', by: 'alice', reason: 'payment provider recovered' },
    });
    expect(text).toContain('## Resolution\nResolved at 2026-11-23 05:00 UTC by alice: payment provider recovered (1 h 50 min after the incident was opened).');
    expect(text).toContain('a human was paged.');
    expect(text).toContain('alice resolved it at 2026-11-23 05:00 UTC: payment provider recovered.');
    expect(text).toContain('- Impact window: 2026-11-23 03:07 UTC to 2026-11-23 05:00 UTC at the latest (resolved by a human)');
  });

  it('says where impact start came from: measured, or estimated', () => {
    expect(impactStartProvenance('metric-data', times.impactStartedAt)).toBe('measured from the first breaching datapoint (GetMetricData over the evaluation range)');
    expect(impactStartProvenance('estimated', times.impactStartedAt)).toBe("estimated from the alarm's period × datapoints (no datapoints could be read)");
    expect(impactStartProvenance(undefined, times.impactStartedAt)).toBe("estimated from the alarm's period × datapoints");
    expect(renderPostmortem({ ...input, impactStartSource: 'estimated' })).toContain('    Impact started (estimated) :milestone');
  });

  it('fits a 5,000-event incident into an SNS message: the first and last events, and a line saying how to print the rest', () => {
    const timeline: TimelineEvent[] = Array.from({ length: 5000 }, (_, i) => ({
      at: new Date(Date.parse('2026-11-23T03:10:00.000Z') + i * 1000).toISOString(),
      kind: 'signal',
      message: `event ${i}: checkout-5xx-rate still ALARM ${'x'.repeat(150)}`,
    }));
    const whole = renderPostmortem({ ...input, timeline });
    expect(new TextEncoder().encode(whole).length).toBeGreaterThan(800_000);
    const max = 200_000;
    const fitted = renderPostmortem({ ...input, timeline }, { maxBytes: max });
    expect(new TextEncoder().encode(fitted).length).toBeLessThanOrEqual(max);
    expect(new TextEncoder().encode(fitted).length).toBeGreaterThan(max - 2_000);
    expect(fitted).toContain('event 0: ');
    expect(fitted).toContain('event 4999: ');
    const shown = fitted.split('\n').filter((l) => / event \d+: /.test(l)).length;
    expect(fitted).toContain(`- … ${(5000 - shown).toLocaleString('en-US')} more events not shown here (message size limit): tourniquet postmortem inc-1`);
    for (const section of ['## Root Cause', '## Impact', '## Action Items', '## Lessons Learned', '```mermaid']) expect(fitted).toContain(section);
    expect(ganttProblems(fitted)).toEqual([]);
    // Without a limit, everything.
    expect(whole.split('\n').filter((l) => / event \d+: /.test(l))).toHaveLength(5000);
  });
});
