import { App, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';

import { memberStackName as stackNameOf } from '../../lambdas/core/accounts.js';
import type { TourniquetConfig } from '../../lambdas/core/config.js';
import { forwardingLocations, memberRoleRegion } from '../locations.js';
import { TourniquetMember } from './tourniquet-member.js';

export interface TourniquetMemberStackProps extends StackProps {
  readonly config: TourniquetConfig;
  readonly account: string;
  readonly region: string;
}

/**
 * One TourniquetMember in a stack pinned to its account and region (`env`), so `cdk deploy` refuses
 * credentials of any other account.
 */
export class TourniquetMemberStack extends Stack {
  public readonly member: TourniquetMember;

  constructor(scope: Construct, id: string, props: TourniquetMemberStackProps) {
    super(scope, id, {
      description: `Tourniquet (${props.config.stage}) member: alarm forwarding and the member role for Tourniquet in ${props.config.crossAccount?.centralAccount}`,
      ...props,
      env: { account: props.account, region: props.region },
    });
    this.member = new TourniquetMember(this, 'Member', { config: props.config, account: props.account, region: props.region });
  }
}

/** The member stack name for an account and region: `Tourniquet-<stage>-member-<account>-<region>`. */
export function memberStackName(config: TourniquetConfig, account: string, region: string): string {
  return stackNameOf(config.stage, account, region);
}

/**
 * Adds a member stack for every (account, region) of the config that forwards alarms to the central
 * bus (`forwardingLocations`); none when every service is where Tourniquet runs. A stack that only
 * attaches permissions to the member role depends on the stack that creates it (the account's first region).
 */
export function addMemberStacks(app: App, config: TourniquetConfig): TourniquetMemberStack[] {
  const stacks = forwardingLocations(config).map(({ account, region }) => new TourniquetMemberStack(app, memberStackName(config, account, region), { config, account, region }));
  for (const stack of stacks) {
    const roleRegion = memberRoleRegion(config, stack.member.location.account);
    const owner = stacks.find((s) => s.member.location.account === stack.member.location.account && s.member.location.region === roleRegion);
    if (owner !== undefined && owner !== stack) stack.addStackDependency(owner, 'the member role is created in the account’s first region');
  }
  return stacks;
}

/** A fresh App holding the member stacks of `config` (tests, `bin/member-app.ts`). */
export function createMemberApp(config: TourniquetConfig, appProps: ConstructorParameters<typeof App>[0] = {}): { app: App; stacks: TourniquetMemberStack[] } {
  const app = new App(appProps);
  return { app, stacks: addMemberStacks(app, config) };
}
