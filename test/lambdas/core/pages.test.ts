import { describe, expect, it } from '@jest/globals';

import { describeAction, type PageIncident, renderPage } from '../../../lambdas/core/pages.js';

const NOW = new Date('2026-11-23T05:10:00.000Z');
const incident = (overrides: Partial<PageIncident> = {}): PageIncident => ({
  incidentId: 'inc-20261123T031000Z-abcd1234',
  service: 'checkout',
  alarmName: 'checkout-5xx-rate',
  severity: 'SEV1',
  status: 'ESCALATED',
  openedAt: '2026-11-23T03:10:00.000Z',
  ...overrides,
});

describe('renderPage', () => {
  it('carries everything a human needs to start: status, alarms, why now, history and what to do', () => {
    const page = renderPage({
      incident: incident({
        alarms: ['checkout-5xx-rate', 'checkout-p99-latency'],
        round: 2,
        escalatedAt: '2026-11-23T03:40:00.000Z',
        escalationReason: 'No automatic candidate left.',
        pages: 3,
        execution: { id: 'arn:aws:states:us-east-1:123456789012:execution:Tourniquet-prod:x' },
      }),
      why: 'Still ESCALATED and not acknowledged.',
      actions: ['feature-flag-off on flag x: applied, no measurable effect'],
      now: NOW,
    });
    expect(page.subject).toBe('[SEV1][Page] checkout: needs a human (inc-20261123T031000Z-abcd1234)');
    expect(page.message.split('\n')).toEqual(
      expect.arrayContaining([
        'Status: ESCALATED',
        'Started: 2026-11-23 03:10 UTC (2 h 0 min ago)',
        'Alarms: checkout-5xx-rate, checkout-p99-latency',
        'Still ESCALATED and not acknowledged.',
        '- Opened at 2026-11-23 03:10 UTC by alarm checkout-5xx-rate.',
        '- Re-opened 2 time(s) after the alarm fired again.',
        '- Tried: feature-flag-off on flag x: applied, no measurable effect',
        '- Escalated at 2026-11-23 03:40 UTC: No automatic candidate left.',
        '- Pages so far: 4 (this one included).',
        '- Take the incident: tourniquet ack inc-20261123T031000Z-abcd1234 (stops the re-pages; a daily reminder remains until it is resolved).',
        '- Postmortem draft and full timeline: tourniquet postmortem inc-20261123T031000Z-abcd1234',
      ]),
    );
    expect(page.message).toContain('Workflow: https://us-east-1.console.aws.amazon.com/states/home');
  });

  it('reminds whoever acknowledged it, and says how to resolve', () => {
    const page = renderPage({
      incident: incident({ status: 'ACKNOWLEDGED', acknowledgedBy: 'alice', acknowledgedAt: '2026-11-23T03:50:00.000Z' }),
      why: 'Reminder.',
      actions: [],
      now: NOW,
    });
    expect(page.subject).toBe('[SEV1][Page] checkout: reminder (inc-20261123T031000Z-abcd1234)');
    expect(page.message).toContain('Status: ACKNOWLEDGED (acknowledged by alice at 2026-11-23 03:50 UTC)');
    expect(page.message).toContain('- No mitigation was applied by automation.');
    expect(page.message).toContain('tourniquet resolve inc-20261123T031000Z-abcd1234 --reason "..."');
    expect(page.message).not.toContain('tourniquet ack');
    expect(page.message).not.toContain('Re-opened');
  });

  it('says in the subject why it pages: an alarm fired again, the workflow stopped, or a timer', () => {
    const subject = (cause: 'refire' | 'orphaned' | 'timer' | undefined, status: PageIncident['status'] = 'ESCALATED') =>
      renderPage({ incident: incident({ status }), why: 'w', actions: [], now: NOW, ...(cause ? { cause } : {}) }).subject;
    expect(subject('refire')).toBe('[SEV1][Page] checkout: alarm fired again (inc-20261123T031000Z-abcd1234)');
    expect(subject('refire', 'ACKNOWLEDGED')).toBe('[SEV1][Page] checkout: alarm fired again (inc-20261123T031000Z-abcd1234)');
    expect(subject('orphaned')).toBe('[SEV1][Page] checkout: workflow stopped, needs a human (inc-20261123T031000Z-abcd1234)');
    expect(subject('timer')).toBe('[SEV1][Page] checkout: needs a human (inc-20261123T031000Z-abcd1234)');
    expect(subject(undefined, 'ACKNOWLEDGED')).toBe('[SEV1][Page] checkout: reminder (inc-20261123T031000Z-abcd1234)');
  });

  it('keeps the subject within what SNS accepts: ASCII, at most 100 characters', () => {
    const page = renderPage({ incident: incident({ service: `prüfung-${'x'.repeat(120)}` }), why: 'w', actions: [], now: NOW });
    expect(page.subject.length).toBeLessThanOrEqual(100);
    expect(page.subject).toMatch(/^[\x20-\x7E]+\.\.\.$/);
  });
});

describe('describeAction', () => {
  it('says what an action was and what it did, and whether it was taken back', () => {
    expect(describeAction({ type: 'ecs-rollback', target: 'shop-prod/checkout', status: 'applied', effect: 'restored' })).toBe(
      'ecs-rollback on shop-prod/checkout: applied, restored service',
    );
    expect(describeAction({ type: 'ecs-rollback', target: 's', status: 'undone', effect: 'no-effect', undoDetail: 'restored checkout:42' })).toBe(
      'ecs-rollback on s: applied, no measurable effect (reverted: restored checkout:42)',
    );
    expect(describeAction({ type: 'waf-block', target: 'acl', status: 'dry-run' })).toBe('waf-block on acl: dry-run');
  });
});
