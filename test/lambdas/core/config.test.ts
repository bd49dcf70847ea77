import { describe, expect, it } from '@jest/globals';

import { checkConfig, ConfigInvalidError, findAlarm, findSymptomAlarm, parseConfig } from '../../../lambdas/core/config.js';
import { sampleConfig } from '../../fixtures/workflow.js';

const base = () => JSON.parse(JSON.stringify(sampleConfig)) as Record<string, any>;

describe('config', () => {
  it('accepts the sample config and applies defaults', () => {
    expect(sampleConfig.changeWindowMinutes).toBe(30);
    expect(sampleConfig.services[0]!.resources.featureFlags!.degradeFlags).toEqual(['serve-cached-recommendations']);
    const minimal = checkConfig({ version: 1, services: [{ name: 'api', alarms: [{ name: 'api-errors' }] }] });
    expect(minimal.ok && minimal.config).toMatchObject({ stage: 'prod', changeWindowMinutes: 30, dryRun: false, services: [{ severity: 'SEV2', resources: {} }] });
  });

  it('reports every problem with its path', () => {
    const raw = base();
    raw.changeWindowMinutes = 0;
    raw.services[0].resources.featureFlags.applicationId = 'Checkout App';
    raw.services[0].alarms[1].severity = 'P1';
    raw.notifications.statusEmails = ['not-an-email'];
    const result = checkConfig(raw);
    expect(result.ok).toBe(false);
    const paths = !result.ok ? result.problems.map((p) => p.path) : [];
    expect(paths).toEqual(
      expect.arrayContaining(['changeWindowMinutes', 'services[0].resources.featureFlags.applicationId', 'services[0].alarms[1].severity', 'notifications.statusEmails[0]']),
    );
  });

  it('refuses an alarm owned by two services and a flag that is both kill switch and degrade flag', () => {
    const raw = base();
    raw.services.push({ name: 'payments', alarms: [{ name: 'checkout-5xx-rate' }] });
    raw.services[0].resources.featureFlags.degradeFlags = ['express-pay'];
    const result = checkConfig(raw);
    const messages = !result.ok ? result.problems.map((p) => `${p.path}: ${p.message}`) : [];
    expect(messages).toEqual(
      expect.arrayContaining([
        'services[1].alarms[0].name: alarm "checkout-5xx-rate" already belongs to service "checkout"; an alarm maps to one service',
        'services[0].resources.featureFlags.degradeFlags[0]: flag "express-pay" cannot be both a kill switch (turned off) and a degrade flag (turned on)',
      ]),
    );
  });

  it('refuses unknown keys (a typo must not silently disable a safety setting)', () => {
    const raw = base();
    raw.dryrun = true;
    const result = checkConfig(raw);
    expect(!result.ok && result.problems[0]!.message).toMatch(/dryrun/);
  });

  it('parseConfig throws one error listing every problem, and names bad JSON', () => {
    expect(() => parseConfig('{', 'x.json')).toThrow(ConfigInvalidError);
    expect(() => parseConfig('{', 'x.json')).toThrow(/x.json: 1 problem\(s\)[\s\S]*not valid JSON/);
  });

  it('accepts optional update cadence overrides per severity, and refuses ones the schedule cannot keep', () => {
    expect(sampleConfig.updateCadenceMinutes).toBeUndefined();
    const raw = base();
    raw.updateCadenceMinutes = { SEV1: 15, SEV3: 120 };
    const ok = checkConfig(raw);
    expect(ok.ok && ok.config.updateCadenceMinutes).toEqual({ SEV1: 15, SEV3: 120 });

    raw.updateCadenceMinutes = { SEV1: 2, SEV2: 30.5, SEV4: 20_000, SEV5: 10 };
    const bad = checkConfig(raw);
    const messages = !bad.ok ? bad.problems.map((p) => `${p.path}: ${p.message}`) : [];
    expect(messages).toEqual(
      expect.arrayContaining([
        'updateCadenceMinutes.SEV1: updateCadenceMinutes.SEV1 must be at least 5 (the cadence schedule runs every 5 minutes)',
        'updateCadenceMinutes.SEV2: updateCadenceMinutes.SEV2 must be a whole number of minutes',
        'updateCadenceMinutes.SEV4: updateCadenceMinutes.SEV4 must be at most 10080 (one week)',
      ]),
    );
    expect(messages.some((m) => m.includes('SEV5'))).toBe(true);
  });

  it('defaults the lifecycle: cap 10, flap cooldown 30 min, default re-pages, daily reminders, watch from the alarm period', () => {
    expect(sampleConfig.lifecycle).toEqual({ maxOpenIncidents: 10, flapCooldownMinutes: 30, repageMinutes: {}, acknowledgedReminderMinutes: 1440 });
    const raw = base();
    raw.lifecycle = { maxOpenIncidents: 3, watchMinutes: 12, flapCooldownMinutes: 0, repageMinutes: { SEV1: 5 }, acknowledgedReminderMinutes: 240 };
    const ok = checkConfig(raw);
    expect(ok.ok && ok.config.lifecycle).toEqual(raw.lifecycle);
    expect(sampleConfig.services[0]!.revertIneffective).toEqual({});
  });

  it('refuses lifecycle settings that would let an incident go quiet or page every minute', () => {
    const raw = base();
    raw.lifecycle = { maxOpenIncidents: 0, watchMinutes: 0, repageMinutes: { SEV1: 1 }, acknowledgedReminderMinutes: 2, flapCooldown: 5 };
    const bad = checkConfig(raw);
    const paths = !bad.ok ? bad.problems.map((p) => p.path) : [];
    expect(paths).toEqual(
      expect.arrayContaining(['lifecycle.maxOpenIncidents', 'lifecycle.watchMinutes', 'lifecycle.repageMinutes.SEV1', 'lifecycle.acknowledgedReminderMinutes', 'lifecycle']),
    );
    const messages = !bad.ok ? bad.problems.map((p) => p.message) : [];
    expect(messages).toContain('lifecycle.repageMinutes.SEV1 must be at least 5');
  });

  it('accepts revertIneffective per mitigation and refuses unknown mitigations in it', () => {
    const raw = base();
    raw.services[0].revertIneffective = { 'ecs-rollback': false, 'feature-flag-off': true };
    const ok = checkConfig(raw);
    expect(ok.ok && ok.config.services[0]!.revertIneffective).toEqual({ 'ecs-rollback': false, 'feature-flag-off': true });
    raw.services[0].revertIneffective = { 'lambda-rollback': true };
    expect(checkConfig(raw).ok).toBe(false);
  });

  it('finds the service a symptom alarm belongs to', () => {
    expect(findSymptomAlarm(sampleConfig, 'checkout-cpu-high')?.name).toBe('checkout');
    expect(findSymptomAlarm(sampleConfig, 'checkout-5xx-rate')).toBeUndefined();
  });

  it('refuses what used to pass silently, each with its JSON path: unknown maintenance-window service, malformed ARNs and IDs, duplicate flags, an incident alarm used as a symptom', () => {
    const raw = base();
    raw.maintenanceWindows = [{ start: '2026-11-23T01:00:00Z', end: '2026-11-23T02:00:00Z', services: ['checkout', 'chekout'] }];
    raw.services[0].resources.featureFlags.killSwitchFlags = ['new-checkout-flow', 'express-pay', 'new-checkout-flow'];
    raw.services[0].symptomAlarms = { ...raw.services[0].symptomAlarms, saturation: ['checkout-p99-latency'] };
    const result = checkConfig(raw);
    const messages = !result.ok ? result.problems.map((p) => `${p.path}: ${p.message}`) : [];
    expect(messages).toEqual(
      expect.arrayContaining([
        'maintenanceWindows[0].services[1]: unknown service "chekout": a maintenance window names services of this config (checkout)',
        'services[0].resources.featureFlags.killSwitchFlags[2]: flag "new-checkout-flow" is listed twice in killSwitchFlags',
        'services[0].symptomAlarms.saturation[0]: alarm "checkout-p99-latency" is an incident alarm of service "checkout"; an alarm is an incident alarm or a symptom alarm, not both',
      ]),
    );
    expect(messages).toHaveLength(3);
  });

  it('checks ECS cluster names and ARNs, and WAF IDs (an ARN in place of an ID names the ID to use)', () => {
    const withResources = (resources: Record<string, unknown>) => {
      const raw = base();
      raw.services[0].resources = { ...raw.services[0].resources, ...resources };
      const result = checkConfig(raw);
      return !result.ok ? result.problems.map((p) => `${p.path}: ${p.message}`) : [];
    };
    const ecs = (cluster: string) => withResources({ ecs: { cluster, service: 'checkout' } });
    expect(ecs('shop-prod')).toEqual([]);
    expect(ecs('arn:aws:ecs:eu-west-1:123456789012:cluster/shop-prod')).toEqual([]);
    expect(ecs('arn:aws-us-gov:ecs:us-gov-west-1:123456789012:cluster/shop_prod')).toEqual([]);
    expect(ecs('arn:aws:ecs:eu-west-1:1234:cluster/shop-prod')).toEqual([
      'services[0].resources.ecs.cluster: "arn:aws:ecs:eu-west-1:1234:cluster/shop-prod" is not an ECS cluster ARN (arn:aws:ecs:<region>:<12-digit account>:cluster/<name>); give that ARN or just the cluster name',
    ]);
    expect(ecs('arn:aws:ecs:eu-west-1:123456789012:service/shop-prod/checkout')).toHaveLength(1);
    expect(ecs('shop/prod')).toEqual(['services[0].resources.ecs.cluster: "shop/prod" is not an ECS cluster name (letters, digits, - and _, max 255) or cluster ARN']);

    const waf = (fields: Record<string, unknown>) => withResources({ waf: { webAclName: 'shop-prod', webAclId: 'a1b2c3d4-5678-90ab-cdef-111111111111', ...fields } });
    expect(waf({})).toEqual([]);
    expect(waf({ webAclId: 'arn:aws:wafv2:us-east-1:123456789012:regional/webacl/shop-prod/a1b2c3d4-5678-90ab-cdef-111111111111' })).toEqual([
      'services[0].resources.waf.webAclId: waf.webAclId is the ID, not the ARN: use "a1b2c3d4-5678-90ab-cdef-111111111111"',
    ]);
    expect(waf({ webAclId: 'shop-prod' })).toEqual([
      'services[0].resources.waf.webAclId: waf.webAclId must be a WAFV2 ID: a lowercase UUID such as a1b2c3d4-5678-90ab-cdef-111111111111 (the last part of the ARN)',
    ]);
    expect(waf({ webAclId: 'A1B2C3D4-5678-90AB-CDEF-111111111111' })).toHaveLength(1);
  });

  it('takes approver emails (default none) for the approvers topic', () => {
    expect(sampleConfig.notifications.approverEmails).toEqual(['approver@example.com']);
    const none = base();
    delete none.notifications.approverEmails;
    const defaulted = checkConfig(none);
    expect(defaulted.ok && defaulted.config.notifications.approverEmails).toEqual([]);
    const raw = base();
    raw.notifications.approverEmails = ['lead@example.com', 'nope'];
    const result = checkConfig(raw);
    expect(!result.ok && result.problems.map((p) => p.path)).toEqual(['notifications.approverEmails[1]']);
  });

  it('finds the service that owns an alarm', () => {
    expect(findAlarm(sampleConfig, 'checkout-p99-latency')?.service.name).toBe('checkout');
    expect(findAlarm(sampleConfig, 'nope')).toBeUndefined();
  });
});
