import { Duration, Stack, Token } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct, type IConstruct } from 'constructs';

import { centralBusArn, partitionOf, trustedFunctionRoleArns } from '../../lambdas/core/accounts.js';
import { memberRoleName, type TourniquetConfig } from '../../lambdas/core/config.js';
import { chunkByLength, MAX_ALARM_NAMES_CHARS_PER_RULE } from '../constructs/alarm-intake.js';
import { FORWARDED_DETAIL_TYPE, FORWARDED_SOURCE } from '../constructs/central-bus.js';
import { ImmediateDeploymentStrategy } from '../constructs/immediate-deployment-strategy.js';
import { centralLocation, type ForwardingLocation, forwardingLocations, memberAccounts, memberRoleRegion } from '../locations.js';
import { acknowledgeAlarmMetricRead, acknowledgeCompositeAlarmRead, acknowledgeNag } from '../nag.js';
import {
  alarmMetricReadStatements,
  alarmReadStatements,
  type CatalogueGrant,
  compositeAlarmReadStatements,
  grantCatalogue,
  type LocatedServices,
  readableAlarmNames,
} from '../permissions.js';

export interface TourniquetMemberProps {
  /** The validated config, the same file the central stack is deployed with. */
  readonly config: TourniquetConfig;
  /** The account this is deployed in: a workload account, or the central account for one of its other regions. */
  readonly account: string;
  /** The region this is deployed in; some configured service must live in `account` there. */
  readonly region: string;
}

/**
 * What Tourniquet needs in a workload account and region (docs/accounts.md), deployed there:
 *
 * - in a workload account's first region, the member role (`memberRoleName`) that the central
 *   workload-access functions assume: trusted by the central account only for those function roles
 *   (`aws:PrincipalArn`, and `aws:PrincipalOrgID` when configured), never `*`;
 * - in every region of a workload account, that role's permissions for the services there: the
 *   catalogue's read, write, evidence and settle statements and the alarm reads, with this account's
 *   and region's ARNs (an IAM policy of this stack attached to the role by name, since IAM is global
 *   and stacks cannot refer across regions);
 * - the zero-bake AppConfig deployment strategy flag changes deploy with, where a service has flags;
 * - an EventBridge rule on the default bus that forwards the state changes of the services' incident
 *   and symptom alarms to the central bus, with a role that may only put events there, and a
 *   dead-letter queue for events the central bus did not take.
 */
export class TourniquetMember extends Construct {
  /** The member role, when created here (the account's first region). */
  public readonly role?: iam.Role;
  /** The role this region's permissions are attached to: the member role, created here or by name. */
  public readonly grantee?: iam.IRole;
  public readonly deploymentStrategy?: ImmediateDeploymentStrategy;
  public readonly forwardingRules: events.Rule[];
  public readonly forwardingRole: iam.Role;
  public readonly deadLetterQueue: sqs.Queue;
  /** The services of this account and region. */
  public readonly location: ForwardingLocation;

  constructor(scope: Construct, id: string, props: TourniquetMemberProps) {
    super(scope, id);
    const { config, account, region } = props;
    const stack = Stack.of(this);
    for (const [what, want, have] of [
      ['account', account, stack.account],
      ['region', region, stack.region],
    ] as const) {
      if (!Token.isUnresolved(have) && have !== want) throw new Error(`TourniquetMember for ${account}/${region} is in a stack of ${what} ${have}: deploy it to ${want}`);
    }
    const location = forwardingLocations(config).find((l) => l.account === account && l.region === region);
    if (location === undefined) throw new Error(`no configured service lives in account ${account}, region ${region}: nothing for a member stack to do there`);
    this.location = location;
    const central = centralLocation(config);
    const here: LocatedServices = { location: { account, region }, services: location.services };

    if (location.services.some((s) => s.resources.featureFlags !== undefined)) {
      // A strategy belongs to one account and region: flag changes here cannot deploy with the central one.
      this.deploymentStrategy = new ImmediateDeploymentStrategy(this, 'DeploymentStrategy', { stage: config.stage });
    }

    if (memberAccounts(config).includes(account)) {
      if (memberRoleRegion(config, account) === region) {
        const organizationId = config.crossAccount?.organizationId;
        this.role = new iam.Role(this, 'MemberRole', {
          roleName: memberRoleName(config),
          description: `Tourniquet (${config.stage}): what the central Tourniquet functions in ${central.account} may do in this account`,
          assumedBy: new iam.AccountPrincipal(central.account).withConditions({
            ArnEquals: { 'aws:PrincipalArn': trustedFunctionRoleArns(config, central.account, partitionOf(central.region)) },
            ...(organizationId !== undefined ? { StringEquals: { 'aws:PrincipalOrgID': organizationId } } : {}),
          }),
        });
        const operators = config.crossAccount?.operatorRoleArns ?? [];
        if (operators.length > 0) {
          // People on call: `tourniquet undo` and `preflight` act here through this role too (docs/accounts.md).
          this.role.assumeRolePolicy?.addStatements(
            new iam.PolicyStatement({
              actions: ['sts:AssumeRole'],
              principals: [...new Set(operators.map((arn) => arn.split(':')[4]!))].map((operatorAccount) => new iam.AccountPrincipal(operatorAccount)),
              conditions: {
                ArnLike: { 'aws:PrincipalArn': operators },
                ...(organizationId !== undefined ? { StringEquals: { 'aws:PrincipalOrgID': organizationId } } : {}),
              },
            }),
          );
        }
        this.grantee = this.role;
        // Read-only reads on `*` cover every region, so only the role's own stack grants them, each in a policy of its own.
        const services = forwardingLocations(config)
          .filter((l) => l.account === account)
          .map((l): LocatedServices => ({ location: { account, region: l.region }, services: l.services }));
        const composite = compositeAlarmReadStatements(config, services);
        if (composite.length > 0) acknowledgeCompositeAlarmRead(new iam.Policy(this, 'CompositeAlarmRead', { roles: [this.role], statements: composite }));
        acknowledgeAlarmMetricRead(new iam.Policy(this, 'AlarmMetricRead', { roles: [this.role], statements: alarmMetricReadStatements() }));
      } else {
        this.grantee = iam.Role.fromRoleName(this, 'MemberRole', memberRoleName(config), { mutable: true });
      }
      const grant: CatalogueGrant = {
        // A dry run decides and reports but changes nothing: the member role cannot change anything either.
        groups: config.dryRun ? ['read', 'evidence', 'settle'] : ['read', 'write', 'evidence', 'settle'],
        ...(this.deploymentStrategy ? { deploymentStrategyId: this.deploymentStrategy.strategyId } : {}),
      };
      const grantee = this.grantee as iam.IRole & IConstruct;
      grantCatalogue(grantee, config, grant, [here]);
      alarmReadStatements(this, config, [here]).forEach((statement) => grantee.addToPrincipalPolicy(statement));
    }

    this.deadLetterQueue = new sqs.Queue(this, 'ForwardingDeadLetterQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    acknowledgeNag(this.deadLetterQueue, 'AwsSolutions-SQS3', 'This queue is itself the dead-letter queue of the alarm forwarding rule target.');
    this.forwardingRole = new iam.Role(this, 'ForwardingRole', {
      assumedBy: new iam.ServicePrincipal('events.amazonaws.com').withConditions({ StringEquals: { 'aws:SourceAccount': account } }),
      description: `Tourniquet (${config.stage}): forward alarm state changes to the central bus in ${central.account} ${central.region}`,
    });
    const bus = events.EventBus.fromEventBusArn(this, 'CentralBus', centralBusArn(config, central.account, central.region));
    const names = [...new Set(readableAlarmNames({ ...config, services: [...location.services] }))];
    this.forwardingRules = chunkByLength(names, MAX_ALARM_NAMES_CHARS_PER_RULE).map(
      (chunk, i) =>
        new events.Rule(this, i === 0 ? 'ForwardAlarmStateChange' : `ForwardAlarmStateChange${i + 1}`, {
          description: `Tourniquet: forward state changes of configured alarms to the central bus (${i + 1})`,
          eventPattern: { source: [FORWARDED_SOURCE], detailType: [FORWARDED_DETAIL_TYPE], detail: { alarmName: chunk } },
          targets: [new targets.EventBus(bus, { role: this.forwardingRole, deadLetterQueue: this.deadLetterQueue })],
        }),
    );
  }
}
