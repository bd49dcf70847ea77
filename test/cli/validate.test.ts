import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

import { describe, expect, it } from '@jest/globals';

import { runValidate } from '../../cli/commands/validate-action.js';

const SAMPLE = new URL('../../tourniquet.config.json', import.meta.url);

/** Writes the sample config with a change applied, and returns the file's path. */
function configFile(change: (raw: Record<string, any>) => void): string {
  const raw = JSON.parse(readFileSync(SAMPLE, 'utf8')) as Record<string, any>;
  change(raw);
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'tourniquet-validate-')), 'tourniquet.config.json');
  writeFileSync(file, JSON.stringify(raw));
  return file;
}

describe('tourniquet validate', () => {
  it('accepts the sample config (exit 0), warning only that its Route 53 failover runs from the region it fails away from', async () => {
    const file = configFile(() => {});
    const result = await runValidate(file);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain('valid: 1 service(s), 2 alarm(s)');
    expect(result.stderr.trimEnd().split('\n')).toEqual([
      expect.stringMatching(
        new RegExp(`^${file}: warning: services\\[0\\]\\.resources\\.route53: service checkout fails over \\(Route 53 failover\\) away from the region Tourniquet is deployed to `),
      ),
    ]);
  });

  it('warns of no failover once Tourniquet runs in another region than the service', async () => {
    const result = await runValidate(
      configFile((raw) => {
        raw.crossAccount = { centralAccount: '111111111111', centralRegion: 'us-west-2' };
        raw.services[0].region = 'eu-west-1';
      }),
    );
    expect(result).toMatchObject({ exitCode: 0 });
    expect(result.stderr).not.toContain('fails over');
  });

  it('lists every problem with its JSON path and exits 2', async () => {
    const file = configFile((raw) => {
      raw.maintenanceWindows = [{ start: '2026-11-23T01:00:00Z', end: '2026-11-23T02:00:00Z', services: ['payments'] }];
      raw.services[0].resources.featureFlags.killSwitchFlags.push('express-pay');
      raw.services[0].symptomAlarms.trafficFlood = ['checkout-5xx-rate'];
    });
    const result = await runValidate(file);
    expect(result.exitCode).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(`${file}: 3 problem(s) in the Tourniquet config:`);
    expect(result.stderr).toContain('  - maintenanceWindows[0].services[0]: unknown service "payments"');
    expect(result.stderr).toContain('  - services[0].resources.featureFlags.killSwitchFlags[2]: flag "express-pay" is listed twice in killSwitchFlags');
    expect(result.stderr).toContain('  - services[0].symptomAlarms.trafficFlood[0]: alarm "checkout-5xx-rate" is an incident alarm of service "checkout"');
  });

  it('names malformed ECS cluster ARNs and web ACL IDs by path (exit 2)', async () => {
    const result = await runValidate(
      configFile((raw) => {
        raw.services[0].resources.ecs.cluster = 'arn:aws:ecs:us-east-1:12345:cluster/shop-prod';
        raw.services[0].resources.waf.webAclId = 'shop-prod';
      }),
    );
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('  - services[0].resources.ecs.cluster: ');
    expect(result.stderr).toContain('  - services[0].resources.waf.webAclId: waf.webAclId must be a WAFV2 ID');
  });

  it('notes (exit 0) that approvals are CLI-only without approver emails', async () => {
    const result = await runValidate(configFile((raw) => (raw.notifications.approverEmails = [])));
    expect(result.exitCode).toBe(0);
    expect(result.stderr).toContain('warning: notifications.approverEmails: empty');
  });
});
