import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

import { describe, expect, it } from '@jest/globals';

import { type PreflightDeps, runPreflight } from '../../cli/commands/preflight-action.js';
import type { SimulationRequest } from '../../lambdas/adapters/iam-simulation.js';
import { fakeAdapters } from '../support/adapters.js';

const SAMPLE = new URL('../../tourniquet.config.json', import.meta.url);
const ROLE = 'arn:aws:iam::123456789012:role/Tourniquet-prod-MitigateRole1A2B';

/** The sample config reduced to its kill switches, degrade flag and ECS service (with a change applied), as a file. */
function configFile(change: (raw: Record<string, any>) => void = () => {}): string {
  const raw = JSON.parse(readFileSync(SAMPLE, 'utf8')) as Record<string, any>;
  delete raw.services[0].resources.route53;
  delete raw.services[0].resources.waf;
  change(raw);
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'tourniquet-preflight-')), 'tourniquet.config.json');
  writeFileSync(file, JSON.stringify(raw));
  return file;
}

/** A flag profile whose deployed version 3 defines these flags (all on), and the stack's zero-bake strategy. */
function flags(defined: readonly string[]) {
  return {
    previewFlag: async (_target: unknown, request: { flag: string; enabled: boolean }) => {
      if (!defined.includes(request.flag)) {
        throw Object.assign(
          new Error(`flag "${request.flag}" is not defined in configuration version 3 of the profile (flags there: ${defined.join(', ')}); refusing to create it`),
          { name: 'FlagNotInProfileError' },
        );
      }
      return { flag: request.flag, enabled: request.enabled, wouldChange: !request.enabled, before: { deployedVersion: '3', enabled: true }, detail: '' };
    },
    deploymentStrategy: async (id: string) => ({
      id,
      durationMinutes: 0,
      finalBakeMinutes: 0,
      growthFactor: 100,
      immediate: true,
      detail: `deployment strategy ${id} deploys at once with no bake (growth 100%)`,
    }),
  };
}

const ecs = {
  findStableTaskDefinition: async () => ({
    current: 'checkout:42',
    stable: 'checkout:41',
    evidence: 'deployment of checkout:41 completed successfully',
    basis: 'service-deployments',
  }),
  taskDefinitionStatus: async (taskDefinition: string) => ({ taskDefinition, status: 'ACTIVE', active: true }),
  previewScaleOut: async () => ({ wouldChange: true, detail: 'Would scale ECS service shop-prod/checkout from 6 to 9 tasks (cap 12).' }),
};

function deps(options: { defined?: readonly string[]; outputs?: Record<string, string>; identity?: () => Promise<never>; deny?: string[] } = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const simulated: SimulationRequest[] = [];
  const d: PreflightDeps = {
    identity: options.identity ?? (async () => ({ account: '123456789012', partition: 'aws', region: 'us-east-1' })),
    stackOutputs: async (name) => {
      if (!options.outputs) throw Object.assign(new Error(`CloudFormation stack ${name} does not exist in this account and region`), { name: 'AwsResourceNotFoundError' });
      return options.outputs;
    },
    adapters: fakeAdapters({ flags: flags(options.defined ?? ['new-checkout-flow', 'express-pay', 'serve-cached-recommendations']), ecs }),
    simulator: async () => ({
      simulate: async (request) => {
        simulated.push(request);
        return request.actions.flatMap((action) =>
          request.resources.map((resource) => ({ action, resource, decision: options.deny?.includes(action) ? ('implicitDeny' as const) : ('allowed' as const) })),
        );
      },
    }),
    clock: () => new Date('2026-11-23T03:00:00Z'),
    out: (text) => void out.push(text),
    err: (text) => void err.push(text),
  };
  return { deps: d, out, err, simulated };
}

describe('tourniquet preflight', () => {
  it('prints a table of every configured mitigation target and exits 0 when all are ready', async () => {
    const { deps: d, out, err } = deps();

    const code = await runPreflight({ config: configFile(), deploymentStrategy: 'imm0str' }, d);

    expect(code).toBe(0);
    expect(err).toEqual([]);
    const table = out.join('\n');
    expect(table).toContain('(account 123456789012, us-east-1)');
    expect(table).toMatch(/SERVICE\s+MITIGATION\s+TARGET\s+READY\s+FAILING CHECK/);
    expect(table).toMatch(/checkout\s+feature-flag-off\s+flag new-checkout-flow \(chk4app\/prd5env\/flg6prf\)\s+yes/);
    expect(table).toMatch(/checkout\s+ecs-rollback\s+ECS service shop-prod\/checkout\s+yes/);
    expect(table).toMatch(/checkout\s+ecs-scale-out\s+ECS service shop-prod\/checkout\s+yes/);
    expect(table).toContain('All 5 mitigation targets are ready.');
    expect(table).toContain('note: no mitigate role (--stack or --role): its permissions were not simulated');
  });

  it('names the failing check and its detail, and exits 1, when a kill switch was deleted from the profile', async () => {
    const { deps: d, out } = deps({ defined: ['express-pay', 'serve-cached-recommendations'] });

    const code = await runPreflight({ config: configFile(), deploymentStrategy: 'imm0str' }, d);

    expect(code).toBe(1);
    expect(out.join('\n')).toMatch(
      /feature-flag-off\s+flag new-checkout-flow \(chk4app\/prd5env\/flg6prf\)\s+NO\s+new-checkout-flow in the deployed configuration: flag "new-checkout-flow" is not defined in configuration version 3 of the profile/,
    );
    expect(out.join('\n')).toContain('1 of 5 mitigation targets are NOT ready.');
  });

  it('prints the reports, every check included, with --json', async () => {
    const { deps: d, out } = deps({ defined: ['express-pay', 'serve-cached-recommendations'] });

    await runPreflight({ config: configFile(), json: true, service: 'checkout', deploymentStrategy: 'imm0str' }, d);

    const json = JSON.parse(out.join('\n')) as {
      ready: boolean;
      region: string;
      reports: { service: string; type: string; ready: boolean; checks: { check: string; ok: boolean }[] }[];
    };
    expect(json).toMatchObject({ ready: false, region: 'us-east-1', account: '123456789012', deploymentStrategyId: 'imm0str' });
    expect(json.reports.map((r) => `${r.type} ${r.ready}`)).toEqual([
      'feature-flag-off false',
      'feature-flag-off true',
      'ecs-rollback true',
      'degrade-flag-on true',
      'ecs-scale-out true',
    ]);
    expect(json.reports[0]!.checks.map((c) => c.check)).toEqual(['new-checkout-flow in the deployed configuration', 'zero-bake deployment strategy']);
  });

  it('reads the role and strategy from the stack outputs, and checks the role may make each change', async () => {
    const { deps: d, out, simulated } = deps({ outputs: { MitigateRoleArn: ROLE, DeploymentStrategyId: 'imm0str' }, deny: ['ecs:UpdateService'] });

    const code = await runPreflight({ config: configFile(), stack: 'Tourniquet-prod', json: true }, d);

    expect(code).toBe(1);
    const json = JSON.parse(out.join('\n')) as { mitigateRole: string; reports: { type: string; ready: boolean; checks: { check: string; ok: boolean; detail: string }[] }[] };
    expect(json.mitigateRole).toBe(ROLE);
    const permission = (type: string) => json.reports.find((r) => r.type === type)!.checks.find((c) => c.check === 'mitigate role may make the change')!;
    expect(permission('feature-flag-off')).toEqual({
      check: 'mitigate role may make the change',
      ok: true,
      detail:
        'Tourniquet-prod-MitigateRole1A2B is allowed appconfig:CreateHostedConfigurationVersion, appconfig:StartDeployment, appconfig:StopDeployment on the configured resources',
    });
    expect(permission('ecs-rollback').ok).toBe(false);
    expect(permission('ecs-rollback').detail).toContain('is denied ecs:UpdateService on arn:aws:ecs:us-east-1:123456789012:service/shop-prod/checkout (implicitDeny)');
    // Exactly the resources the stack grants, in the role's account, with the strategy from the stack.
    const startDeployment = simulated.find((s) => s.actions.includes('appconfig:StartDeployment'))!;
    expect(startDeployment.principalArn).toBe(ROLE);
    expect(startDeployment.resources).toContain('arn:aws:appconfig:us-east-1:123456789012:deploymentstrategy/imm0str');
    // The kill switch and the degrade flag share their statements: simulated once.
    expect(simulated.filter((s) => s.actions.includes('appconfig:StartDeployment'))).toHaveLength(1);
  });

  it('says why the changes of a service in a workload account are not simulated, and checks its readiness through the member role', async () => {
    const { deps: d, out, simulated } = deps({ outputs: { MitigateRoleArn: ROLE, DeploymentStrategyId: 'imm0str' } });
    const sessions: string[] = [];
    const remote: PreflightDeps = {
      ...d,
      forService: async (access, sessionName) => (
        sessions.push(`${access.roleArn} ${sessionName}`),
        { adapters: d.adapters, deploymentStrategyOf: async (stage: string) => `${stage}1str` }
      ),
    };
    const file = configFile((raw) => {
      raw.crossAccount = { centralAccount: '123456789012', centralRegion: 'us-east-1' };
      raw.services[0].account = '222222222222';
    });

    await expect(runPreflight({ config: file, stack: 'Tourniquet-prod', json: true }, remote)).resolves.toBe(0);
    const json = JSON.parse(out.join('\n')) as { reports: { type: string; checks: { check: string; ok: boolean; detail: string }[] }[] };
    const permission = (type: string) => json.reports.find((r) => r.type === type)!.checks.find((c) => c.check === 'mitigate role may make the change');
    expect(permission('ecs-rollback')).toEqual({
      check: 'mitigate role may make the change',
      ok: true,
      detail:
        'not simulated: checkout is in account 222222222222, where arn:aws:iam::222222222222:role/Tourniquet-prod-member makes the change; ' +
        'iam:SimulatePrincipalPolicy answers only for roles of the caller’s account; the member stack grants it from the same catalogue (docs/accounts.md)',
    });
    expect(simulated).toEqual([]);
    expect(sessions).toEqual(['arn:aws:iam::222222222222:role/Tourniquet-prod-member tourniquet-preflight']);
    // The strategy checked is the workload account's, found by name, not the stack's.
    expect(json.reports.find((r) => r.type === 'feature-flag-off')!.checks.find((c) => c.check === 'zero-bake deployment strategy')!.detail).toContain('prod1str');
  });

  it('says what a stack without the new outputs lacks, and goes on', async () => {
    const { deps: d, out } = deps({ outputs: {} });

    await expect(runPreflight({ config: configFile(), stack: 'Tourniquet-prod' }, d)).resolves.toBe(0);
    expect(out.join('\n')).toContain('note: stack Tourniquet-prod has no MitigateRoleArn output (deployed by an older Tourniquet?): redeploy it, or pass --role');
  });

  it('exits 2 with one line for a config that does not parse, an unknown service, a missing stack or unusable credentials', async () => {
    const cases: [Parameters<typeof runPreflight>[0], ReturnType<typeof deps>, RegExp][] = [
      [{ config: '/nonexistent/tourniquet.config.json' }, deps(), /^tourniquet: .*ENOENT/],
      [{ config: configFile(), service: 'payments' }, deps(), /^tourniquet: service "payments" is not in .* \(services: checkout\)$/],
      [{ config: configFile(), stack: 'Tourniquet-dev' }, deps(), /^tourniquet: stack Tourniquet-dev not found in us-east-1: check --stack and --region$/],
      [
        { config: configFile() },
        deps({ identity: async () => Promise.reject(Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' })) }),
        /^tourniquet: no AWS credentials: set AWS_PROFILE \(after aws configure or aws sso login\) or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY$/,
      ],
      [{ config: configFile() }, deps({ identity: async () => Promise.reject(new Error('Region is missing')) }), /^tourniquet: no AWS region: pass --region or set AWS_REGION$/],
    ];
    for (const [options, { deps: d, out, err }, message] of cases) {
      await expect(runPreflight(options, d)).resolves.toBe(2);
      expect(out).toEqual([]);
      expect(err).toHaveLength(1);
      expect(err[0]).toMatch(message);
      expect(err[0]).not.toContain('\n');
    }
  });
});
