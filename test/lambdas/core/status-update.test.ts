import { describe, expect, it } from '@jest/globals';
import { decide } from '../../../lambdas/core/decision.js';
import { renderStatusUpdate, statusUpdateFor } from '../../../lambdas/core/status-update.js';
import { ALARM_AT, checkout, triage, workflowState } from '../../fixtures/workflow.js';

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
    const dry = statusUpdateFor(workflowState({ plan, settings: { changeWindowMinutes: 30, dryRun: true, stage: 'prod', maintenanceWindows: [] } }), 'Identified', now).message;
    expect(dry).toContain('Dry run: would apply feature-flag-off');
  });

  it('Mitigated reports the action that restored service', () => {
    const message = statusUpdateFor(
      workflowState({
        plan,
        attempt: { cursor: 0, type: 'feature-flag-off', target: 'flag new-checkout-flow', status: 'applied', detail: 'Flag new-checkout-flow off in version 3 (deployment #8).', checkAt: '2026-11-23T03:14:00.000Z' },
      }),
      'Mitigated',
      now,
    ).message;
    expect(message).toContain('Service is restored: the alarm is back to OK after feature-flag-off on flag new-checkout-flow.');
    expect(message).toContain('Flag new-checkout-flow off in version 3');
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
    expect(failed).toContain('The automation hit an error (States.TaskFailed)');
  });

  it('renders long durations in hours', () => {
    const update = renderStatusUpdate({
      status: 'Investigating', severity: 'SEV1', service: 's', alarmName: 'a', incidentId: 'i', startedAt: '2026-11-23T01:00:00.000Z', now, summary: 'x', currentActions: ['y'],
    });
    expect(update.message).toContain('Duration: 2 h 12 min');
    expect(update.message).toContain('By 2026-11-23 03:42 UTC');
  });
});
