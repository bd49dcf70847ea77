import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { CadenceSettings } from '../core/cadence.js';
import type { TourniquetConfig } from '../core/config.js';
import type { ApprovalEndpointDeps } from '../handlers/approval-endpoint.js';
import type { CloseIncidentDeps } from '../handlers/close-incident.js';
import type { DecideDeps } from '../handlers/decide.js';
import type { EscalateDeps } from '../handlers/escalate.js';
import type { MitigateDeps } from '../handlers/mitigate.js';
import type { NotifyDeps } from '../handlers/notify.js';
import type { OpenIncidentDeps } from '../handlers/open-incident.js';
import type { RequestApprovalDeps } from '../handlers/request-approval.js';
import type { StartExecutionDeps } from '../handlers/start-execution.js';
import type { StatusCadenceDeps } from '../handlers/status-cadence.js';
import type { TriageDeps } from '../handlers/triage.js';
import type { VerifyDeps } from '../handlers/verify.js';
import type { MitigationAdapters } from '../mitigations/ports.js';
import type { HumanActionDeps } from '../operations/resolve.js';
import type { ScheduledReadinessDeps } from '../operations/readiness.js';
import type { UndoDeps } from '../operations/undo.js';
import { type AwsClients, memo } from './clients.js';
import type { EnvOf } from './manifest.js';

/**
 * The composition root: builds what the operations need from clients, settings and a clock, the
 * same way for the Lambda entry points, the CLI and the drill (which passes simulated clients and
 * its virtual clock).
 */

export interface AdapterOptions {
  /** How adapters that back off (WAF lock conflicts) wait; the drill passes its virtual clock's. */
  readonly sleep?: (ms: number) => Promise<void>;
  readonly now?: () => number;
  /** Where the ARC adapter starts among a cluster's endpoints (default random); the drill passes a fixed one. */
  readonly random?: () => number;
}

/** The mitigations' adapters over `clients`, each built on first use. */
export function mitigationAdapters(clients: AwsClients, options: AdapterOptions = {}): MitigationAdapters {
  const once = <T>(make: () => Promise<T>) => memo<string, T>(make);
  const flags = once(async () => new (await import('../adapters/appconfig-flags.js')).AppConfigFlagsAdapter(await clients.appconfig()));
  const ecs = once(async () => new (await import('../adapters/ecs-deployments.js')).EcsAdapter(await clients.ecs()));
  const route53 = once(async () => new (await import('../adapters/route53-failover.js')).Route53FailoverAdapter(await clients.route53()));
  const waf = memo<'REGIONAL' | 'CLOUDFRONT', import('../adapters/waf-rules.js').WafRulesAdapter>(async (scope) => {
    const { WafRulesAdapter } = await import('../adapters/waf-rules.js');
    return new WafRulesAdapter(await clients.wafv2(scope === 'CLOUDFRONT' ? 'us-east-1' : undefined), {
      ...(options.sleep ? { sleep: options.sleep } : {}),
      ...(options.now ? { now: options.now } : {}),
    });
  });
  const arc = once(async () => {
    const { ArcRoutingControlAdapter } = await import('../adapters/arc-routing-control.js');
    return new ArcRoutingControlAdapter(({ endpoint, region }) => clients.arcCluster(endpoint, region), options.random ? { random: options.random } : {});
  });
  const aurora = once(async () => {
    const { AuroraFailoverAdapter } = await import('../adapters/aurora-failover.js');
    return new AuroraFailoverAdapter(await clients.rds(), await clients.cloudwatch(), {
      // Global databases: the secondary's region, where its lag is published and a failover still answers when the primary region is down.
      clientsIn: async (region) => ({ rds: await clients.rds(region), cloudwatch: await clients.cloudwatch(region) }),
      ...(options.now ? { now: options.now } : {}),
    });
  });
  return { flags: () => flags(''), ecs: () => ecs(''), route53: () => route53(''), waf, arc: () => arc(''), aurora: () => aurora('') };
}

/** What composing a function needs besides its environment: where clients come from, the clock, and (in the drill) how to wait. */
export interface Runtime extends AdapterOptions {
  readonly clients: AwsClients;
  readonly clock: () => Date;
  /** The incident table's document client. @default one over the environment's DynamoDB */
  readonly documentClient?: DynamoDBDocumentClient;
  /** The config, for the functions that carry it (the starter; Lambda compiles it into the bundle). */
  readonly config?: TourniquetConfig;
  /** The status cadence's settings (Lambda compiles them into the bundle). */
  readonly cadence?: CadenceSettings;
}

const need = <T>(value: T | undefined, what: string): T => {
  if (value === undefined) throw new Error(`The composition root needs ${what} for this function`);
  return value;
};

/** The table's stores, on one document client. */
async function stores(rt: Runtime, tableName: string) {
  const [{ IncidentStore }] = await Promise.all([import('../store/incident-store.js')]);
  const client = rt.documentClient;
  return { incidents: new IncidentStore({ tableName, clock: rt.clock, ...(client ? { client } : {}) }), options: { tableName, clock: rt.clock, ...(client ? { client } : {}) } };
}

const publisher = async (rt: Runtime) => new (await import('../adapters/sns-publisher.js')).SnsPublisher(await rt.clients.sns());
const alarms = async (rt: Runtime) => new (await import('../adapters/cloudwatch-alarms.js')).CloudWatchAlarmsAdapter(await rt.clients.cloudwatch());

/**
 * The dependencies of every function, one composition each (tree-shaken per bundle: a handler ships only
 * its own): the Lambda entry points, the drill and the CLI build them here and only here, from a runtime
 * (clients, clock) and the function's environment (lambdas/runtime/compositions.ts maps them by name).
 */

/** Dependencies of the open-incident function. */
export const composeOpenIncident = async (rt: Runtime, env: EnvOf<'open-incident'>): Promise<OpenIncidentDeps> => ({ store: (await stores(rt, env.TABLE_NAME)).incidents, clock: rt.clock });

/** Dependencies of the decide function. */
export const composeDecide = async (rt: Runtime, env: EnvOf<'decide'>): Promise<DecideDeps> => ({ store: (await stores(rt, env.TABLE_NAME)).incidents, clock: rt.clock });

/** Dependencies of the close-incident function. */
export const composeCloseIncident = async (rt: Runtime, env: EnvOf<'close-incident'>): Promise<CloseIncidentDeps> => ({ store: (await stores(rt, env.TABLE_NAME)).incidents, clock: rt.clock });

/** Dependencies of the notify function. */
export const composeNotify = async (rt: Runtime, env: EnvOf<'notify'>): Promise<NotifyDeps> => ({
  store: (await stores(rt, env.TABLE_NAME)).incidents,
  publisher: await publisher(rt),
  statusTopicArn: env.STATUS_TOPIC_ARN,
  clock: rt.clock,
});

/** Dependencies of the triage function. */
export const composeTriage = async (rt: Runtime, env: EnvOf<'triage'>): Promise<TriageDeps> => {
  const [{ AppConfigFlagsAdapter }, { EcsAdapter }] = await Promise.all([import('../adapters/appconfig-flags.js'), import('../adapters/ecs-deployments.js')]);
  return {
    store: (await stores(rt, env.TABLE_NAME)).incidents,
    flags: new AppConfigFlagsAdapter(await rt.clients.appconfig()),
    ecs: new EcsAdapter(await rt.clients.ecs()),
    alarms: await alarms(rt),
    clock: rt.clock,
  };
};

/** Dependencies of the mitigate function. */
export const composeMitigate = async (rt: Runtime, env: EnvOf<'mitigate'>): Promise<MitigateDeps> => {
  const [{ incidents, options }, { PauseSwitch }, { AutomationBrake }] = await Promise.all([stores(rt, env.TABLE_NAME), import('../store/pause.js'), import('../store/brake.js')]);
  return {
    store: incidents,
    pause: new PauseSwitch(options),
    brake: new AutomationBrake(options),
    adapters: mitigationAdapters(rt.clients, rt),
    deploymentStrategyId: env.DEPLOYMENT_STRATEGY_ID,
    clock: rt.clock,
    ...(rt.sleep ? { sleep: rt.sleep } : {}),
  };
};

/** Dependencies of the verify function. */
export const composeVerify = async (rt: Runtime, env: EnvOf<'verify'>): Promise<VerifyDeps> => ({
  store: (await stores(rt, env.TABLE_NAME)).incidents,
  alarms: await alarms(rt),
  adapters: mitigationAdapters(rt.clients, rt),
  clock: rt.clock,
});

/** Dependencies of the escalate function. */
export const composeEscalate = async (rt: Runtime, env: EnvOf<'escalate'>): Promise<EscalateDeps> => ({
  store: (await stores(rt, env.TABLE_NAME)).incidents,
  publisher: await publisher(rt),
  statusTopicArn: env.STATUS_TOPIC_ARN,
  escalationTopicArn: env.ESCALATION_TOPIC_ARN,
  clock: rt.clock,
});

/** Dependencies of the start-execution function. */
export const composeStartExecution = async (rt: Runtime, env: EnvOf<'start-execution'>): Promise<StartExecutionDeps> => ({
  config: need(rt.config, 'the config'),
  store: (await stores(rt, env.TABLE_NAME)).incidents,
  sfn: await rt.clients.sfn(),
  stateMachineArn: env.STATE_MACHINE_ARN,
  publisher: await publisher(rt),
  escalationTopicArn: env.ESCALATION_TOPIC_ARN,
  clock: rt.clock,
});

/** Dependencies of the status-cadence function. */
export const composeStatusCadence = async (rt: Runtime, env: EnvOf<'status-cadence'>): Promise<StatusCadenceDeps> => ({
  store: (await stores(rt, env.TABLE_NAME)).incidents,
  publisher: await publisher(rt),
  statusTopicArn: env.STATUS_TOPIC_ARN,
  escalationTopicArn: env.ESCALATION_TOPIC_ARN,
  settings: need(rt.cadence, 'the cadence settings'),
  clock: rt.clock,
});

/** Dependencies of the request-approval function. */
export const composeRequestApproval = async (rt: Runtime, env: EnvOf<'request-approval'>): Promise<RequestApprovalDeps> => {
  const [{ incidents, options }, { ApprovalStore }, { ApprovalSecretSource }] = await Promise.all([
    stores(rt, env.TABLE_NAME),
    import('../store/approvals.js'),
    import('../adapters/approval-secret.js'),
  ]);
  const secrets = new ApprovalSecretSource(await rt.clients.secretsManager());
  return {
    approvals: new ApprovalStore(options),
    incidents,
    publisher: await publisher(rt),
    secret: () => secrets.getSecret(env.APPROVAL_SECRET_ARN),
    secretId: env.APPROVAL_SECRET_ARN,
    endpointUrl: env.APPROVAL_ENDPOINT_URL,
    tableName: env.TABLE_NAME,
    statusTopicArn: env.STATUS_TOPIC_ARN,
    escalationTopicArn: env.ESCALATION_TOPIC_ARN,
    approversTopicArn: env.APPROVERS_TOPIC_ARN,
    approverEmails: env.APPROVER_EMAILS,
    clock: rt.clock,
  };
};

/** Dependencies of the approval-endpoint function. */
export const composeApprovalEndpoint = async (rt: Runtime, env: EnvOf<'approval-endpoint'>): Promise<ApprovalEndpointDeps> => {
  const [{ incidents, options }, { ApprovalStore }, { ApprovalSecretSource }, { StepFunctionsTasks }] = await Promise.all([
    stores(rt, env.TABLE_NAME),
    import('../store/approvals.js'),
    import('../adapters/approval-secret.js'),
    import('../adapters/step-functions-tasks.js'),
  ]);
  return {
    approvals: new ApprovalStore(options),
    incidents,
    tasks: new StepFunctionsTasks(await rt.clients.sfn()),
    secrets: new ApprovalSecretSource(await rt.clients.secretsManager()),
    secretId: env.APPROVAL_SECRET_ARN,
    clock: rt.clock,
  };
};

/** Dependencies of the readiness function. */
export const composeReadiness = async (rt: Runtime, env: EnvOf<'readiness'>): Promise<ScheduledReadinessDeps> => {
  const [{ ReadinessLedger }, { PowertoolsReadinessMetrics }] = await Promise.all([import('../store/readiness.js'), import('../adapters/readiness-metrics.js')]);
  return {
    config: need(rt.config, 'the config'),
    adapters: mitigationAdapters(rt.clients, rt),
    deploymentStrategyId: env.DEPLOYMENT_STRATEGY_ID,
    verdicts: new ReadinessLedger({ tableName: env.TABLE_NAME, ...(rt.documentClient ? { client: rt.documentClient } : {}) }),
    metrics: new PowertoolsReadinessMetrics(),
    publisher: await publisher(rt),
    statusTopicArn: env.STATUS_TOPIC_ARN,
    clock: rt.clock,
  };
};

/** What the operator's commands need besides the runtime: the table, and what the stack's outputs name. */
export interface OperatorSettings {
  readonly tableName: string;
  /** The status topic, when the command sends the status update itself. */
  readonly statusTopicArn?: string;
  readonly deploymentStrategyId?: string;
  /** The config, whose services name the only resources undo may touch. */
  readonly config?: TourniquetConfig;
}

/**
 * The dependencies of the operator's commands (`tourniquet undo|ack|resolve`), built once here for
 * the CLI (real clients) and the drill's scripted humans (simulated ones).
 */
export const composeOperator = {
  undo: async (rt: Runtime, settings: OperatorSettings, by: string): Promise<UndoDeps> => {
    const [{ incidents, options }, { AutomationBrake }] = await Promise.all([stores(rt, settings.tableName), import('../store/brake.js')]);
    const config = need(settings.config, 'the config');
    return {
      store: incidents,
      brake: new AutomationBrake(options),
      adapters: mitigationAdapters(rt.clients, rt),
      serviceFor: (name) => config.services.find((s) => s.name === name),
      deploymentStrategyId: need(settings.deploymentStrategyId, 'the deployment strategy id'),
      clock: rt.clock,
      by,
    };
  },
  humanAction: async (rt: Runtime, settings: OperatorSettings): Promise<HumanActionDeps> => ({
    store: (await stores(rt, settings.tableName)).incidents,
    clock: rt.clock,
    ...(settings.statusTopicArn ? { publisher: await publisher(rt), statusTopicArn: settings.statusTopicArn } : {}),
  }),
};
