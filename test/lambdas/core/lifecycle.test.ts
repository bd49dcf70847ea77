import { describe, expect, it } from '@jest/globals';

import {
  ACTIVE_STATUSES,
  admit,
  ALLOWED_TRANSITIONS,
  DEFAULT_REPAGE_MINUTES,
  type EpisodeView,
  LEASE_MARGIN_SECONDS,
  leaseUntil,
  ledgerCursor,
  pageIntervalMinutes,
  revertsWhenIneffective,
  statusesLeadingTo,
  watchSeconds,
} from '../../../lambdas/core/lifecycle.js';
import { INCIDENT_STATUSES, type IncidentStatus, MITIGATION_TYPES } from '../../../lambdas/core/model.js';

/** docs/lifecycle.md, "Where each alarm transition goes", row by row. */

const NOW = new Date('2026-11-23T03:30:00.000Z');
const minutes = (m: number): string => new Date(NOW.getTime() + m * 60_000).toISOString();
const ID = 'inc-20261123T031000Z-abcd1234';

/** An episode of the given status whose lease runs 20 minutes more (healthy), unless told otherwise. */
const episode = (status: IncidentStatus, overrides: Partial<EpisodeView> = {}): EpisodeView => ({
  incidentId: ID,
  status,
  ...(status === 'RESOLVED' ? {} : { leaseUntil: minutes(20) }),
  ...overrides,
});

const fire = (e: EpisodeView | undefined, role: 'incident' | 'symptom' = 'incident') => admit({ episode: e, role, state: 'ALARM', now: NOW });
const clear = (e: EpisodeView | undefined, role: 'incident' | 'symptom' = 'incident', state: 'OK' | 'INSUFFICIENT_DATA' = 'OK') => admit({ episode: e, role, state, now: NOW });

describe('admit', () => {
  describe('no current incident (none, or RESOLVED past the flap cooldown)', () => {
    const quiet: [string, EpisodeView | undefined][] = [
      ['no pointer', undefined],
      ['RESOLVED, cooldown over', episode('RESOLVED', { reopenUntil: minutes(-1) })],
      ['RESOLVED, cooldown ending this instant', episode('RESOLVED', { reopenUntil: minutes(0) })],
      ['RESOLVED without a cooldown', episode('RESOLVED')],
    ];

    it.each(quiet)('%s: an incident alarm entering ALARM opens a new incident', (_label, e) => {
      expect(fire(e)).toEqual({ action: 'open' });
    });

    it.each(quiet)('%s: a symptom alarm opens nothing', (_label, e) => {
      expect(fire(e, 'symptom')).toEqual({ action: 'ignore', reason: expect.stringContaining('symptom') });
    });

    it.each(quiet)('%s: OK and INSUFFICIENT_DATA change nothing', (_label, e) => {
      expect(clear(e)).toEqual({ action: 'ignore', reason: 'OK with no open incident for the service' });
      expect(clear(e, 'symptom')).toMatchObject({ action: 'ignore' });
      expect(clear(e, 'incident', 'INSUFFICIENT_DATA')).toEqual({ action: 'ignore', reason: 'INSUFFICIENT_DATA with no open incident for the service' });
    });
  });

  describe.each(['OPEN', 'MITIGATING'] as const)('%s (being worked on)', (status) => {
    it('an incident alarm joins it', () => {
      expect(fire(episode(status))).toEqual({ action: 'join', incidentId: ID });
    });
    it('a symptom alarm is recorded on it', () => {
      expect(fire(episode(status), 'symptom')).toEqual({ action: 'join', incidentId: ID });
    });
    it('an OK is recorded on it (cleared)', () => {
      expect(clear(episode(status))).toEqual({ action: 'join', incidentId: ID });
      expect(clear(episode(status), 'symptom')).toEqual({ action: 'join', incidentId: ID });
    });
    it('a pointer with no lease yet is not orphaned', () => {
      expect(fire(episode(status, { leaseUntil: undefined }))).toEqual({ action: 'join', incidentId: ID });
    });
  });

  describe('WATCHING (a verified mitigation inside its watch period)', () => {
    it('an incident alarm firing again re-opens the same incident', () => {
      expect(fire(episode('WATCHING'))).toEqual({ action: 'reopen', incidentId: ID, from: 'WATCHING' });
    });
    it('a symptom alarm and an OK are timeline entries only', () => {
      expect(fire(episode('WATCHING'), 'symptom')).toEqual({ action: 'join', incidentId: ID });
      expect(clear(episode('WATCHING'))).toEqual({ action: 'join', incidentId: ID });
    });
  });

  describe('RESOLVED within the flap cooldown', () => {
    const flapping = episode('RESOLVED', { reopenUntil: minutes(10) });
    it('an incident alarm firing again re-opens it as a flap', () => {
      expect(fire(flapping)).toEqual({ action: 'reopen', incidentId: ID, from: 'RESOLVED' });
    });
    it('a symptom alarm or an OK changes nothing', () => {
      expect(fire(flapping, 'symptom')).toEqual({ action: 'ignore', reason: `incident ${ID} is resolved` });
      expect(clear(flapping)).toEqual({ action: 'ignore', reason: `incident ${ID} is resolved` });
    });
  });

  describe.each(['ESCALATED', 'ACKNOWLEDGED'] as const)('%s (a human holds it)', (status) => {
    it('an incident alarm firing again pages at once', () => {
      expect(fire(episode(status))).toEqual({ action: 'repage', incidentId: ID });
    });
    it('a symptom alarm and an OK are timeline entries, without a page', () => {
      expect(fire(episode(status), 'symptom')).toEqual({ action: 'join', incidentId: ID });
      expect(clear(episode(status))).toEqual({ action: 'join', incidentId: ID });
    });
    it('a lease left on the pointer never makes it "orphaned": a human holds it', () => {
      expect(fire(episode(status, { leaseUntil: minutes(-60) }))).toEqual({ action: 'repage', incidentId: ID });
    });
  });

  describe.each(['OPEN', 'MITIGATING', 'WATCHING'] as const)('%s whose workflow stopped reporting (lease expired)', (status) => {
    const orphaned = episode(status, { leaseUntil: minutes(-1) });
    it('an incident alarm entering ALARM escalates it', () => {
      expect(fire(orphaned)).toEqual({ action: 'orphaned', incidentId: ID });
    });
    it('a symptom alarm entering ALARM escalates it too', () => {
      expect(fire(orphaned, 'symptom')).toEqual({ action: 'orphaned', incidentId: ID });
    });
    it('an OK is a timeline entry', () => {
      expect(clear(orphaned)).toEqual({ action: 'join', incidentId: ID });
    });
    it('a lease ending this very instant still holds', () => {
      expect(fire(episode(status, { leaseUntil: minutes(0) }))).not.toMatchObject({ action: 'orphaned' });
    });
  });
});

describe('transitions', () => {
  it('move forward only; the two ways back to OPEN are the re-opens from WATCHING and RESOLVED', () => {
    expect(statusesLeadingTo('OPEN').sort()).toEqual(['RESOLVED', 'WATCHING']);
    expect(statusesLeadingTo('ACKNOWLEDGED')).toEqual(['ESCALATED']);
    expect(statusesLeadingTo('ESCALATED').sort()).toEqual(['MITIGATING', 'OPEN', 'WATCHING']);
    expect(statusesLeadingTo('RESOLVED').sort()).toEqual(['ACKNOWLEDGED', 'ESCALATED', 'WATCHING']);
    expect(ALLOWED_TRANSITIONS.OPEN).not.toContain('RESOLVED');
    expect(ALLOWED_TRANSITIONS.ACKNOWLEDGED).toEqual(['RESOLVED']);
  });

  it('every status but RESOLVED is active', () => {
    expect([...ACTIVE_STATUSES].sort()).toEqual(INCIDENT_STATUSES.filter((s) => s !== 'RESOLVED').sort());
  });

  it('gives each round its own range of ledger cursors', () => {
    expect(ledgerCursor(0, 3)).toBe(3);
    expect(ledgerCursor(2, 3)).toBe(203);
  });

  it('a lease runs 30 minutes past the next due time', () => {
    expect(LEASE_MARGIN_SECONDS).toBe(1800);
    expect(leaseUntil('2026-11-23T03:14:15.000Z')).toBe('2026-11-23T03:44:15.000Z');
    expect(leaseUntil(NOW)).toBe(minutes(30));
  });
});

describe('watchSeconds', () => {
  it('is the configured watch period when there is one', () => {
    expect(watchSeconds({ watchMinutes: 12 }, 60)).toBe(720);
    expect(watchSeconds({ watchMinutes: 1 }, 600)).toBe(60);
  });

  it('is otherwise 3 alarm periods, at least 5 minutes', () => {
    expect(watchSeconds({}, 60)).toBe(300);
    expect(watchSeconds({}, 120)).toBe(360);
    expect(watchSeconds({}, 300)).toBe(900);
    expect(watchSeconds({}, 10)).toBe(300);
  });

  it('assumes 60-second periods when the alarm has none (composite alarms)', () => {
    expect(watchSeconds({}, undefined)).toBe(300);
  });
});

describe('revertsWhenIneffective', () => {
  it('takes back every ineffective change but a kill switch by default', () => {
    const reverted = MITIGATION_TYPES.filter((type) => revertsWhenIneffective(type));
    expect(reverted).toEqual(['ecs-rollback', 'route53-failover', 'arc-routing-control', 'degrade-flag-on', 'waf-block', 'ecs-scale-out']);
    expect(revertsWhenIneffective('feature-flag-off')).toBe(false);
  });

  it('follows the service overrides, both ways, and the defaults elsewhere', () => {
    const overrides = { 'ecs-rollback': false, 'feature-flag-off': true };
    expect(revertsWhenIneffective('ecs-rollback', overrides)).toBe(false);
    expect(revertsWhenIneffective('feature-flag-off', overrides)).toBe(true);
    expect(revertsWhenIneffective('waf-block', overrides)).toBe(true);
  });
});

describe('pageIntervalMinutes', () => {
  const lifecycle = { repageMinutes: {}, acknowledgedReminderMinutes: 24 * 60 };

  it('re-pages an unacknowledged escalation per severity: SEV1 15, SEV2 30, SEV3 120, SEV4 1440', () => {
    expect(DEFAULT_REPAGE_MINUTES).toEqual({ SEV1: 15, SEV2: 30, SEV3: 120, SEV4: 1440 });
    expect((['SEV1', 'SEV2', 'SEV3', 'SEV4'] as const).map((s) => pageIntervalMinutes('ESCALATED', s, lifecycle))).toEqual([15, 30, 120, 1440]);
  });

  it('honours configured re-page minutes, keeping the defaults of unlisted severities', () => {
    const configured = { ...lifecycle, repageMinutes: { SEV1: 5 } };
    expect(pageIntervalMinutes('ESCALATED', 'SEV1', configured)).toBe(5);
    expect(pageIntervalMinutes('ESCALATED', 'SEV2', configured)).toBe(30);
  });

  it('reminds of an acknowledged incident at the reminder interval, whatever its severity', () => {
    expect(pageIntervalMinutes('ACKNOWLEDGED', 'SEV1', lifecycle)).toBe(1440);
    expect(pageIntervalMinutes('ACKNOWLEDGED', 'SEV4', { ...lifecycle, acknowledgedReminderMinutes: 180 })).toBe(180);
  });

  it('puts no page timer on incidents the automation holds, nor on resolved ones', () => {
    for (const status of ['OPEN', 'MITIGATING', 'WATCHING', 'RESOLVED'] as const) expect(pageIntervalMinutes(status, 'SEV1', lifecycle)).toBeUndefined();
  });
});
