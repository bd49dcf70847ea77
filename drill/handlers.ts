import type { SFNClient } from '@aws-sdk/client-sfn';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

import { SnsPublisher } from '../lambdas/adapters/sns-publisher.js';
import { cadenceSettingsFor } from '../lambdas/core/cadence.js';
import type { TourniquetConfig } from '../lambdas/core/config.js';
import { createCloseIncidentHandler } from '../lambdas/handlers/close-incident.js';
import { createDecideHandler } from '../lambdas/handlers/decide.js';
import { createEscalateHandler } from '../lambdas/handlers/escalate.js';
import { createMitigateHandler } from '../lambdas/handlers/mitigate.js';
import { createNotifyHandler } from '../lambdas/handlers/notify.js';
import { createOpenIncidentHandler } from '../lambdas/handlers/open-incident.js';
import { createStartExecutionHandler } from '../lambdas/handlers/start-execution.js';
import { createStatusCadenceHandler } from '../lambdas/handlers/status-cadence.js';
import { createTriageHandler } from '../lambdas/handlers/triage.js';
import { createVerifyHandler } from '../lambdas/handlers/verify.js';
import type { MetricsSink } from '../lambdas/operations/ports.js';
import { acknowledgeIncident, resolveIncident } from '../lambdas/operations/resolve.js';
import type { AwsClients } from '../lambdas/runtime/clients.js';
import { composeOperator, mitigationAdapters, type Runtime } from '../lambdas/runtime/compose/index.js';
import { compose } from '../lambdas/runtime/compose/index.js';
import type { IncidentStore } from '../lambdas/store/incident-store.js';
import { simulatedAwsClients } from './clients.js';
import type { LocalTaskHandler } from './local-workflow.js';
import type { SimClients } from './sim/account.js';
import { asInvocation } from './sim/faults.js';

/** What the real handlers get in a drill instead of their Lambda defaults. */
export interface DrillWiring {
  readonly config: TourniquetConfig;
  readonly store: IncidentStore;
  readonly clients: SimClients;
  readonly clock: () => Date;
  readonly tableName: string;
  readonly documentClient: DynamoDBDocumentClient;
  /** Moves simulated time on: adapters that back off (WAF lock conflicts) wait in simulated time. */
  readonly sleep: (ms: number) => Promise<void>;
  readonly statusTopicArn: string;
  readonly escalationTopicArn: string;
  /** The chat topic: the functions that notify relay every status update and page there (AWS Chatbot format). */
  readonly chatTopicArn: string;
  readonly deploymentStrategyId: string;
  /** Where the functions' metrics go: memory, stamped with virtual time (nothing is written to stdout). */
  readonly metrics: MetricsSink;
  /**
   * Drills with several accounts (drill/sim/world.ts): each function's clients carry its own role's
   * credentials, and reach a workload account through the member role. @default one account, one set of clients
   */
  readonly functionClients?: (fn: string) => AwsClients;
  /** The region the functions run in (the central region). @default any region */
  readonly region?: string;
}

/** The drill's runtime for the composition root: simulated clients, the virtual clock, waits in simulated time. */
export function drillRuntime(w: DrillWiring, overrides: Partial<Runtime> = {}, fn?: string): Runtime {
  return {
    clients: fn && w.functionClients ? w.functionClients(fn) : simulatedAwsClients(w.clients, undefined, () => w.clock().getTime()),
    ...(w.region ? { region: w.region } : {}),
    clock: w.clock,
    documentClient: w.documentClient,
    sleep: w.sleep,
    now: () => w.clock().getTime(),
    // The ARC adapter starts at a cluster's first endpoint, so a drill tells the same story every run.
    random: () => 0,
    config: w.config,
    cadence: cadenceSettingsFor(w.config),
    metrics: w.metrics,
    ...overrides,
  };
}

/** The environment the stack would give the functions, with the simulated account's topics and strategy. */
function drillEnvironment(w: DrillWiring, stateMachineArn = ''): Record<string, string> {
  return {
    TABLE_NAME: w.tableName,
    STATUS_TOPIC_ARN: w.statusTopicArn,
    ESCALATION_TOPIC_ARN: w.escalationTopicArn,
    CHAT_TOPIC_ARN: w.chatTopicArn,
    DEPLOYMENT_STRATEGY_ID: w.deploymentStrategyId,
    STATE_MACHINE_ARN: stateMachineArn,
  };
}

/**
 * A function as Lambda runs it: composed by the composition root on its first invocation (as the
 * Lambda entry point does), each call one invocation, so a crashAfterMutation fault ends it as a crash ends a real one.
 */
function composed<F extends keyof typeof compose, R>(
  name: F,
  create: (deps: Awaited<ReturnType<(typeof compose)[F]>>) => (event: unknown) => Promise<R>,
  rt: Runtime,
  env: Record<string, string>,
): (event: unknown) => Promise<R> {
  let handle: Promise<(event: unknown) => Promise<R>> | undefined;
  const make = compose[name] as (rt: Runtime, env: unknown) => Promise<Awaited<ReturnType<(typeof compose)[F]>>>;
  return asInvocation(name, async (event: unknown) => (await (handle ??= make(rt, env).then(create)))(event));
}

/** The real adapters over the simulated account's clients, for the drill's own steps (undo, scripted humans). */
export function drillAdapters(w: Pick<DrillWiring, 'clients' | 'clock' | 'sleep'>) {
  return {
    publisher: new SnsPublisher(w.clients.sns),
    adapters: mitigationAdapters(simulatedAwsClients(w.clients), { sleep: w.sleep, now: () => w.clock().getTime(), random: () => 0 }),
  };
}

/** The workflow handlers by name (the `tourniquet:handler` metadata of each function), composed as in production. */
export function workflowHandlers(w: DrillWiring): Record<string, LocalTaskHandler> {
  // Each function with its own role's clients when the drill has several accounts.
  const rt = (fn: string) => drillRuntime(w, {}, fn);
  const env = drillEnvironment(w);
  return {
    'open-incident': composed('open-incident', createOpenIncidentHandler, rt('open-incident'), env),
    notify: composed('notify', createNotifyHandler, rt('notify'), env),
    triage: composed('triage', createTriageHandler, rt('triage'), env),
    decide: composed('decide', createDecideHandler, rt('decide'), env),
    mitigate: composed('mitigate', createMitigateHandler, rt('mitigate'), env),
    verify: composed('verify', createVerifyHandler, rt('verify'), env),
    escalate: composed('escalate', createEscalateHandler, rt('escalate'), env),
    'close-incident': composed('close-incident', createCloseIncidentHandler, rt('close-incident'), env),
  };
}

/** The starter function, wired to the local workflow's StartExecution. */
export function starterHandler(w: DrillWiring, sfn: SFNClient, stateMachineArn: string) {
  const own = drillRuntime(w, {}, 'start-execution').clients;
  const rt = drillRuntime(w, { clients: { ...own, sfn: async () => sfn } });
  return composed('start-execution', createStartExecutionHandler, rt, drillEnvironment(w, stateMachineArn));
}

/** One run of the scheduled status-cadence function (every CADENCE_SCHEDULE_MINUTES in production). */
export function cadenceHandler(w: DrillWiring): () => Promise<unknown> {
  const run = composed('status-cadence', createStatusCadenceHandler, drillRuntime(w, {}, 'status-cadence'), drillEnvironment(w));
  return () => run({});
}

/** The on-call human's commands, through the same code and composition as `tourniquet ack|resolve`. */
export function operatorCommands(w: DrillWiring) {
  const deps = () => composeOperator.humanAction(drillRuntime(w), { tableName: w.tableName, statusTopicArn: w.statusTopicArn });
  return {
    ack: async (incidentId: string, by: string, reason?: string) => acknowledgeIncident(await deps(), incidentId, by, reason),
    resolve: async (incidentId: string, by: string, reason?: string) =>
      resolveIncident({ ...(await deps()), flapCooldownMinutes: w.config.lifecycle.flapCooldownMinutes }, incidentId, by, reason),
  };
}
