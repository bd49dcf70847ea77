import { readFileSync } from 'node:fs';
import * as path from 'node:path';

import { describe, expect, it } from '@jest/globals';

import { CATALOGUE } from '../../../lambdas/mitigations/index.js';
import type { ArnFormatter } from '../../../lambdas/mitigations/mitigation.js';
import { catalogueStatements, memberServices } from '../../../lib/permissions.js';
import { crossAccountConfig, WORKLOAD } from '../cross-account-support.js';
import { ROOT } from '../support.js';

/**
 * docs/accounts.md lists what the member role may do, per mitigation: generated from the same
 * catalogue statements the member stack grants, for a workload service with every mitigation configured.
 */

const ARC = {
  clusterArn: `arn:aws:route53-recovery-control::${WORKLOAD}:cluster/c1`,
  clusterEndpoints: [{ endpoint: 'https://host.us-west-2.example.com/v1', region: 'us-west-2' }],
  primaryRoutingControlArn: `arn:aws:route53-recovery-control::${WORKLOAD}:controlpanel/p/routingcontrol/a`,
  secondaryRoutingControlArn: `arn:aws:route53-recovery-control::${WORKLOAD}:controlpanel/p/routingcontrol/b`,
};

export function memberRoleTable(): string {
  const config = crossAccountConfig((raw) => {
    raw.services[0].resources.arc = ARC;
    raw.services[0].resources.database = { mode: 'global-failover', clusterId: 'db', globalClusterId: 'g', targetClusterArn: `arn:aws:rds:us-west-2:${WORKLOAD}:cluster:w` };
    raw.services[1].resources.database = { mode: 'cluster', clusterId: 'pay-db', targetInstanceId: 'pay-db-2' };
  });
  const arns: ArnFormatter = { deploymentStrategyId: 'strategy', arn: ({ service, resource, resourceName }) => `arn:aws:${service}:::${resource}/${resourceName}` };
  const actions = (type: string, groups: ('evidence' | 'read' | 'settle' | 'write')[]) => {
    const mitigation = CATALOGUE.filter((m) => m.type === type);
    const found = catalogueStatements(config, { mitigations: mitigation, groups }, arns, memberServices(config, WORKLOAD)).flatMap((s) => s.actions);
    return (
      [...new Set(found)]
        .sort()
        .map((a) => `\`${a}\``)
        .join(', ') || '—'
    );
  };
  const rows = CATALOGUE.map((m) => `| \`${m.type}\` | ${actions(m.type, ['evidence', 'read', 'settle'])} | ${actions(m.type, ['write'])} |`);
  return [
    '| mitigation | reads (triage, readiness, previews, verify) | writes (mitigate, undo) |',
    '|---|---|---|',
    ...rows,
    '| alarms | `cloudwatch:DescribeAlarms` (the configured alarms; `*` when one is `composite`), `cloudwatch:GetMetricData` (`*`) | — |',
  ].join('\n');
}

describe('docs/accounts.md', () => {
  it('lists exactly what the member role may do', () => {
    const doc = readFileSync(path.join(ROOT, 'docs/accounts.md'), 'utf8');
    const block = /<!-- member-role-actions:start -->\n([\s\S]*?)\n<!-- member-role-actions:end -->/.exec(doc)?.[1];
    expect(block).toBe(memberRoleTable());
  });
});
