import { describe, expect, it } from '@jest/globals';

import { DEFAULT_BRAKE } from '../../../lambdas/core/config.js';
import { decide } from '../../../lambdas/core/decision.js';
import { renderStatusUpdate, statusUpdateFor } from '../../../lambdas/core/status-update.js';
import { ALARM_AT, checkout, LIFECYCLE, triage, workflowState } from '../../fixtures/workflow.js';

const now = new Date('2026-11-23T03:12:00.000Z');
const plan = decide(
  triage({ flagChanges: [{ flag: 'new-checkout-flow', from: false, to: true, deploymentNumber: 7, configurationVersion: '2', changedAt: '2026-11-23T03:03:00.000Z' }] }),
  checkout,
  ALARM_AT,
);

describe('status updates', () => {
  it('follow the communication template, in order', () => {
    const update = statusUpdateFor(workflowState(), 'Investigating', now);
    const headings = ['Status: Investigating', 'Severity: SEV2', 'Started: 2026-11-23 03:10 UTC', 'Duration: 2 min', 'Summary', 'Impact', 'Current Actions', 'Next Update'];
    const positions = headings.map((h) => update.message.indexOf(h));
    expect(positions.every((p) => p >= 0)).toBe(true);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
    expect(update.message).toContain('Some customers see errors when they pay for their basket.');
    expect(update.message).toContain('https://us-east-1.console.aws.amazon.com/states/home?region=us-east-1#/v2/executions/details/arn%3Aaws%3Astates');
  });

  it('Investigating of a re-opened incident says it is the same incident, looking for a next candidate', () => {
    const reopened = workflowState({ incident: { ...workflowState().incident, round: 2, mode: 'reopened' } });
    expect(statusUpdateFor(reopened, 'Investigating', now).message).toContain(
      'The alarm fired again after a mitigation, so Tourniquet re-opened incident inc-20261123T031000Z-abcd1234 (round 2) and is looking for a next candidate.',
    );
    expect(statusUpdateFor(workflowState(), 'Investigating', now).message).toContain('Tourniquet opened an incident and is checking what changed.');
  });

  it('has scannable subjects: [SEV][Status] service: what', () => {
    expect(statusUpdateFor(workflowState(), 'Investigating', now).subject).toBe('[SEV2][Investigating] checkout: 5xx rate');
    expect(statusUpdateFor(workflowState({ plan }), 'Escalated', now).subject).toBe('[SEV2][Escalated] checkout: 5xx rate');
  });

  it('promises the next update on the severity cadence (SEV2: 60 min)', () => {
    expect(statusUpdateFor(workflowState(), 'Investigating', now).message).toContain('By 2026-11-23 04:12 UTC');
  });

  it('Identified names the action and the fallback, and says "would" in dry-run', () => {
    const live = statusUpdateFor(workflowState({ plan }), 'Identified', now).message;
    expect(live).toContain('Applying feature-flag-off on flag new-checkout-flow');
    const dry = statusUpdateFor(
      workflowState({ plan, settings: { changeWindowMinutes: 30, dryRun: true, stage: 'prod', maintenanceWindows: [], lifecycle: LIFECYCLE, brake: DEFAULT_BRAKE } }),
      'Identified',
      now,
    ).message;
    expect(dry).toContain('Dry run: would apply feature-flag-off');
  });

  const applied = {
    cursor: 0,
    type: 'feature-flag-off' as const,
    target: 'flag new-checkout-flow',
    status: 'applied' as const,
    detail: 'Flag new-checkout-flow off in version 3 (deployment #8).',
    checkAt: '2026-11-23T03:14:00.000Z',
  };

  it('Mitigated reports the action that restored service and promises the word at the end of the watch period', () => {
    const message = statusUpdateFor(
      workflowState({ plan, attempt: applied, verification: { outcome: 'watching', alarmState: 'OK', checks: 1, checkAt: '2026-11-23T03:19:00.000Z', hasNext: false } }),
      'Mitigated',
      now,
    ).message;
    expect(message).toContain('Service is restored: the alarms are back to OK after feature-flag-off on flag new-checkout-flow.');
    expect(message).toContain('Flag new-checkout-flow off in version 3');
    expect(message).toContain('Watching until 2026-11-23 03:19 UTC: a re-fire in that time re-opens this incident; a quiet watch period resolves it.');
    expect(message).toContain('Next Update\nBy 2026-11-23 03:19 UTC (end of the watch period), or sooner if the alarm fires again.');
  });

  it('Resolved says the watch period was quiet, keeps the mitigation in place and names the flap cooldown', () => {
    const message = statusUpdateFor(
      workflowState({ plan, attempt: applied, settings: { ...workflowState().settings, lifecycle: { ...LIFECYCLE, flapCooldownMinutes: 45 } } }),
      'Resolved',
      now,
    ).message;
    expect(message).toContain('The incident is resolved: the alarms stayed OK through the watch period after feature-flag-off on flag new-checkout-flow.');
    expect(message).toContain('runs tourniquet undo inc-20261123T031000Z-abcd1234');
    expect(message).toContain('None, unless the alarm fires again within 45 min (the incident then re-opens).');
  });

  it('Escalated of a capped incident says why automation does not act', () => {
    const reason = '10 incidents are already open (lifecycle.maxOpenIncidents is 10): Tourniquet records and pages this one and does not act on it.';
    const state = workflowState({ incident: { ...workflowState().incident, mode: 'capped', reason } });
    expect(statusUpdateFor(state, 'Escalated', now).message).toContain(reason);
  });

  it('Escalated after a failed verification names the alarms still not OK', () => {
    const state = workflowState({
      plan,
      attempt: applied,
      verification: { outcome: 'failed', alarmState: 'ALARM', checks: 3, hasNext: false, notOk: ['checkout-5xx-rate', 'checkout-p99-latency'] },
    });
    expect(statusUpdateFor(state, 'Escalated', now).message).toContain(
      'checkout-5xx-rate, checkout-p99-latency still ALARM after feature-flag-off on flag new-checkout-flow, and no further automatic mitigation remains.',
    );
  });

  it('never speculates about root cause', () => {
    for (const status of ['Investigating', 'Identified', 'Mitigated', 'Escalated', 'Resolved'] as const) {
      expect(statusUpdateFor(workflowState({ plan }), status, now).message.toLowerCase()).not.toMatch(/root cause is|caused by|because of/);
    }
  });

  it('escalation explains why automation stopped and suggests deferred mitigations', () => {
    const noAction = decide(triage(), checkout, ALARM_AT);
    expect(statusUpdateFor(workflowState({ plan: noAction }), 'Escalated', now).message).toContain('no automated action; paging a human');
    const failed = statusUpdateFor(workflowState({ error: { Error: 'States.TaskFailed', Cause: 'boom' } }), 'Escalated', now).message;
    expect(failed).toContain('The automation hit an error: boom. (States.TaskFailed)');
    const lambdaError = {
      Error: 'DeploymentInFlightError',
      Cause: JSON.stringify({ errorType: 'DeploymentInFlightError', errorMessage: 'flag deployment #2 is still baking', trace: ['at x'] }),
    };
    expect(statusUpdateFor(workflowState({ error: lambdaError }), 'Escalated', now).message).toContain('flag deployment #2 is still baking. (DeploymentInFlightError)');
  });

  it('renders long durations in hours', () => {
    const update = renderStatusUpdate({
      status: 'Investigating',
      severity: 'SEV1',
      service: 's',
      alarmName: 'a',
      incidentId: 'i',
      startedAt: '2026-11-23T01:00:00.000Z',
      now,
      summary: 'x',
      currentActions: ['y'],
    });
    expect(update.message).toContain('Duration: 2 h 12 min');
    expect(update.message).toContain('By 2026-11-23 03:42 UTC');
  });
});
