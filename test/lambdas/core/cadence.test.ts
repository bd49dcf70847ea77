import { describe, expect, it } from '@jest/globals';

import {
  CADENCE_SCHEDULE_MINUTES,
  cadenceDecision,
  type CadenceIncident,
  cadenceSettingsFor,
  CadenceSettingsSchema,
  cadenceTable,
  type DueCadence,
  nextUpdateBy,
  scheduledStatusUpdate,
} from '../../../lambdas/core/cadence.js';
import type { IncidentStatus } from '../../../lambdas/core/model.js';
import { UPDATE_CADENCE_MINUTES } from '../../../lambdas/core/severity.js';
import { sampleConfig } from '../../fixtures/workflow.js';

const OPENED = '2026-11-23T03:10:00.000Z';
const at = (minutes: number): Date => new Date(Date.parse(OPENED) + minutes * 60_000);
const iso = (minutes: number): string => at(minutes).toISOString();

const incident = (overrides: Partial<CadenceIncident> = {}) => ({
  incidentId: 'checkout-5xx-rate-20261123T031000Z',
  service: 'checkout',
  alarmName: 'checkout-5xx-rate',
  severity: 'SEV1' as const,
  status: 'OPEN' as IncidentStatus,
  openedAt: OPENED,
  lastNotification: { status: 'Investigating', subject: '[SEV1][Investigating] checkout: 5xx rate', at: OPENED },
  signal: { stateChangeTime: '2026-11-23T03:09:30.000Z' },
  execution: { id: 'arn:aws:states:us-east-1:123456789012:execution:Tourniquet-prod:checkout-5xx-rate-20261123T031000Z' },
  ...overrides,
});

/** The minutes after the last update at which each run of a 5-minute schedule would first send. */
function firstDueMinute(base: CadenceIncident, options: Parameters<typeof cadenceDecision>[2] = {}): number | undefined {
  for (let minute = 0; minute <= 2 * 24 * 60; minute += 1) {
    if (cadenceDecision(base, at(minute), options).due) return minute;
  }
  return undefined;
}

describe('cadenceDecision', () => {
  it('is due every 30 minutes for SEV1, counted from the last update', () => {
    expect(cadenceDecision(incident(), at(29))).toEqual({ due: false, reason: 'not-yet', dueAt: iso(30) });
    expect(cadenceDecision(incident(), at(30))).toEqual({
      due: true,
      status: 'Investigating',
      cadenceMinutes: 30,
      lastUpdateAt: OPENED,
      lastUpdateStatus: 'Investigating',
    });
    // After a scheduled update at +30, the next one is due at +60, not before.
    const later = incident({ lastNotification: { status: 'Investigating', subject: 's', at: iso(30), scheduled: true } });
    expect(cadenceDecision(later, at(59)).due).toBe(false);
    expect(cadenceDecision(later, at(60)).due).toBe(true);
  });

  it('follows the severity table: SEV2 60, SEV3 240, SEV4 1440 minutes', () => {
    expect(firstDueMinute(incident({ severity: 'SEV2' }))).toBe(60);
    expect(firstDueMinute(incident({ severity: 'SEV3' }))).toBe(240);
    expect(firstDueMinute(incident({ severity: 'SEV4' }))).toBe(1440);
    expect(UPDATE_CADENCE_MINUTES).toEqual({ SEV1: 30, SEV2: 60, SEV3: 240, SEV4: 1440 });
  });

  it('applies config overrides and keeps the defaults of unlisted severities', () => {
    const cadence = cadenceTable({ SEV1: 15, SEV3: 120 });
    expect(cadence).toEqual({ SEV1: 15, SEV2: 60, SEV3: 120, SEV4: 1440 });
    expect(firstDueMinute(incident(), { cadence })).toBe(15);
    expect(firstDueMinute(incident({ severity: 'SEV2' }), { cadence })).toBe(60);
    expect(cadenceTable()).toEqual(UPDATE_CADENCE_MINUTES);
  });

  it('keeps the promise of the last update when a longer cadence is configured', () => {
    const cadence = cadenceTable({ SEV1: 60 });
    // A phase-change update promised the next one by the default SEV1 cadence (30 minutes)...
    expect(firstDueMinute(incident(), { cadence })).toBe(30);
    expect(cadenceDecision(incident(), at(30), { cadence })).toMatchObject({ due: true, cadenceMinutes: 60 });
    // ...a scheduled update records its own promise, by the configured cadence.
    const scheduled = incident({ lastNotification: { status: 'Investigating', at: iso(30), nextUpdateBy: iso(90), scheduled: true } });
    expect(cadenceDecision(scheduled, at(89), { cadence }).due).toBe(false);
    expect(cadenceDecision(scheduled, at(90), { cadence }).due).toBe(true);
    // A malformed promise is ignored, not trusted.
    const odd = incident({ lastNotification: { status: 'Investigating', at: iso(30), nextUpdateBy: 'soon' } });
    expect(cadenceDecision(odd, at(59), { cadence }).due).toBe(false);
    expect(cadenceDecision(odd, at(90), { cadence }).due).toBe(true);
  });

  it('with a lead of one schedule period, sends in the 5 minutes before the promised time, never after it', () => {
    const lead = { leadMinutes: CADENCE_SCHEDULE_MINUTES };
    expect(cadenceDecision(incident(), at(24.99), lead).due).toBe(false);
    expect(cadenceDecision(incident(), at(25), lead)).toMatchObject({ due: true, cadenceMinutes: 30 });
    // Whatever the phase of the schedule, the first run that sends lies in [promised - 5 min, promised).
    for (let offset = 0; offset < 5; offset += 0.5) {
      let run = offset;
      while (!cadenceDecision(incident(), at(run), lead).due) run += CADENCE_SCHEDULE_MINUTES;
      expect(run).toBeGreaterThanOrEqual(25);
      expect(run).toBeLessThan(30);
    }
  });

  it('repeats the status the incident is in: Investigating (OPEN), Identified (MITIGATING), Escalated (ESCALATED, ACKNOWLEDGED)', () => {
    const due = (status: IncidentStatus) => cadenceDecision(incident({ status }), at(30));
    expect(due('OPEN')).toMatchObject({ due: true, status: 'Investigating' });
    expect(due('MITIGATING')).toMatchObject({ due: true, status: 'Identified' });
    expect(due('ESCALATED')).toMatchObject({ due: true, status: 'Escalated' });
    expect(due('ACKNOWLEDGED')).toMatchObject({ due: true, status: 'Escalated' });
  });

  it('never sends for resolved incidents, nor while a verified mitigation is watched', () => {
    expect(cadenceDecision(incident({ status: 'RESOLVED' }), at(10_000))).toEqual({ due: false, reason: 'closed' });
    expect(cadenceDecision(incident({ status: 'WATCHING' }), at(10_000))).toEqual({ due: false, reason: 'settled' });
  });

  it('counts from the opening when no update is recorded, or the record is not in the notifier shape', () => {
    expect(cadenceDecision(incident({ lastNotification: undefined }), at(30))).toEqual({ due: true, status: 'Investigating', cadenceMinutes: 30, lastUpdateAt: OPENED });
    expect(cadenceDecision(incident({ lastNotification: { at: 'yesterday' } }), at(29)).due).toBe(false);
    expect(cadenceDecision(incident({ lastNotification: { at: 'yesterday' } }), at(30)).due).toBe(true);
  });

  it('is not due while the last update lies in the future (clock skew between writers)', () => {
    expect(cadenceDecision(incident({ lastNotification: { status: 'Identified', at: iso(60) } }), at(30)).due).toBe(false);
  });
});

describe('scheduledStatusUpdate', () => {
  const now = at(30);
  const render = (overrides: Partial<CadenceIncident> = {}, alarm = { summary: '5xx rate', impact: 'Some customers see errors when they pay for their basket.' }) => {
    const base = incident(overrides);
    const decision = cadenceDecision(base, now) as DueCadence;
    expect(decision.due).toBe(true);
    return scheduledStatusUpdate({ incident: base, decision, now, alarm });
  };

  it('uses the [SEV][Status] service: what subject and the communication template', () => {
    const update = render({ status: 'ESCALATED', lastNotification: { status: 'Escalated', subject: 's', at: OPENED } });
    expect(update.subject).toBe('[SEV1][Escalated] checkout: 5xx rate');
    expect(update.status).toBe('Escalated');
    const headings = ['Status: Escalated', 'Severity: SEV1', 'Started: 2026-11-23 03:10 UTC', 'Duration: 30 min', 'Summary', 'Impact', 'Current Actions', 'Next Update'];
    const positions = headings.map((h) => update.message.indexOf(h));
    expect(positions.every((p) => p >= 0)).toBe(true);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
    expect(update.message).toContain('Some customers see errors when they pay for their basket.');
    expect(update.message).toContain('executions/details/arn%3Aaws%3Astates');
  });

  it('says it is a scheduled update, when the last one went out, and what is still pending', () => {
    const message = render({ status: 'MITIGATING', lastNotification: { status: 'Identified', subject: 's', at: OPENED } }).message;
    expect(message).toContain('Scheduled 30-minute update: the incident is still open.');
    expect(message).toContain('The last update (Identified) went out at 2026-11-23 03:10 UTC.');
    expect(message).toContain('Alarm "checkout-5xx-rate" entered ALARM at 2026-11-23 03:09 UTC.');
    expect(message).toContain('Still pending: a mitigation is being applied, waits for a human to approve it, or was applied and the alarms are not confirmed back to OK yet.');
    expect(render({ status: 'OPEN' }).message).toContain('Still pending: no mitigation has been applied yet. Tourniquet has changed nothing so far.');
    expect(render({ status: 'ESCALATED' }).message).toContain('a human on call was paged and is re-paged until someone acknowledges (tourniquet ack)');
    expect(render({ status: 'ACKNOWLEDGED' }).message).toContain('a human acknowledged the incident and is handling it');
    expect(render({ lastNotification: undefined }).message).toContain('No update is recorded since the incident opened at 2026-11-23 03:10 UTC.');
  });

  it('never guesses at a cause', () => {
    for (const status of ['OPEN', 'MITIGATING', 'ESCALATED', 'ACKNOWLEDGED'] as const) {
      expect(render({ status }).message).not.toMatch(/caused|because|root cause|likely|probably/i);
    }
  });

  it('promises the next update by the cadence in force, overrides included', () => {
    expect(render().message).toContain('Next Update\nBy 2026-11-23 04:10 UTC, or sooner at the next phase change.');
    const base = incident({ severity: 'SEV2' });
    const decision = cadenceDecision(base, at(45), { cadence: cadenceTable({ SEV2: 45 }) }) as DueCadence;
    expect(scheduledStatusUpdate({ incident: base, decision, now: at(45) }).message).toContain('By 2026-11-23 04:40 UTC');
  });

  it('records the same promise it prints', () => {
    const base = incident();
    const decision = cadenceDecision(base, now) as DueCadence;
    expect(nextUpdateBy(decision, now).toISOString()).toBe('2026-11-23T04:10:00.000Z');
  });

  it('falls back to the alarm name and a generic impact without alarm texts', () => {
    const base = incident();
    const update = scheduledStatusUpdate({ incident: base, decision: cadenceDecision(base, now) as DueCadence, now });
    expect(update.subject).toBe('[SEV1][Investigating] checkout: checkout-5xx-rate');
    expect(update.message).toContain('Users of checkout may see degraded service');
  });

  it('refuses to render an update for an incident that gets none', () => {
    const decision = cadenceDecision(incident(), now) as DueCadence;
    expect(() => scheduledStatusUpdate({ incident: incident({ status: 'RESOLVED' }), decision, now })).toThrow(RangeError);
    expect(() => scheduledStatusUpdate({ incident: incident({ status: 'WATCHING' }), decision, now })).toThrow(RangeError);
  });
});

describe('cadenceSettingsFor', () => {
  it('keeps only the overrides, the page timers and the alarm texts: no emails, no resource IDs', () => {
    const settings = cadenceSettingsFor({
      ...sampleConfig,
      updateCadenceMinutes: { SEV1: 15 },
      lifecycle: { ...sampleConfig.lifecycle, repageMinutes: { SEV2: 20 }, acknowledgedReminderMinutes: 600, maxOpenIncidents: 3 },
    });
    expect(settings).toEqual({
      updateCadenceMinutes: { SEV1: 15 },
      lifecycle: { repageMinutes: { SEV2: 20 }, acknowledgedReminderMinutes: 600 },
      alarms: [
        {
          name: 'checkout-5xx-rate',
          summary: '5xx rate',
          impact: 'Some customers see errors when they pay for their basket.',
          runbook: 'https://runbooks.example.com/checkout/5xx-rate',
        },
        // No runbook of its own: the service's, resolved here so pages and updates need no config lookup.
        { name: 'checkout-p99-latency', summary: 'p99 latency', impact: 'Checkout is slow for some customers.', runbook: 'https://runbooks.example.com/checkout' },
      ],
    });
    expect(CadenceSettingsSchema.parse(JSON.parse(JSON.stringify(settings)))).toEqual(settings);
    expect(JSON.stringify(settings)).not.toMatch(/@|applicationId|shop-prod/);
    expect(cadenceSettingsFor(sampleConfig).updateCadenceMinutes).toEqual({});
    expect(cadenceSettingsFor(sampleConfig).lifecycle).toEqual({ repageMinutes: {}, acknowledgedReminderMinutes: 24 * 60 });
  });
});
