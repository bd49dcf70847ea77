import type { SFNClient } from '@aws-sdk/client-sfn';
import type { TourniquetConfig } from '../lambdas/core/config.js';
import { AppConfigFlagsAdapter } from '../lambdas/adapters/appconfig-flags.js';
import { CloudWatchAlarmsAdapter } from '../lambdas/adapters/cloudwatch-alarms.js';
import { EcsAdapter } from '../lambdas/adapters/ecs-deployments.js';
import { SnsPublisher } from '../lambdas/adapters/sns-publisher.js';
import { createCloseIncidentHandler } from '../lambdas/handlers/close-incident.js';
import { createDecideHandler } from '../lambdas/handlers/decide.js';
import { createEscalateHandler } from '../lambdas/handlers/escalate.js';
import { createMitigateHandler } from '../lambdas/handlers/mitigate.js';
import { createNotifyHandler } from '../lambdas/handlers/notify.js';
import { createOpenIncidentHandler } from '../lambdas/handlers/open-incident.js';
import { createStartExecutionHandler } from '../lambdas/handlers/start-execution.js';
import { createStatusCadenceHandler } from '../lambdas/handlers/status-cadence.js';
import { cadenceSettingsFor } from '../lambdas/core/cadence.js';
import { acknowledgeIncident, resolveIncident } from '../lambdas/operations/resolve.js';
import { createTriageHandler } from '../lambdas/handlers/triage.js';
import { createVerifyHandler } from '../lambdas/handlers/verify.js';
import type { IncidentStore } from '../lambdas/store/incident-store.js';
import { PauseSwitch } from '../lambdas/store/pause.js';
import { AutomationBrake } from '../lambdas/store/brake.js';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { mitigationAdapters } from '../lambdas/runtime/compose.js';
import { simulatedAwsClients } from './clients.js';
import type { SimClients } from './sim/account.js';
import type { LocalTaskHandler } from './local-workflow.js';
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
  readonly deploymentStrategyId: string;
}

/**
 * The workflow handlers by name (the `tourniquet:handler` metadata of each function), built from the
 * same factories the Lambda entry points use, with simulated clients and the virtual clock.
 */
/** The real adapters over the simulated account's clients. */
export function drillAdapters(w: Pick<DrillWiring, 'clients' | 'clock' | 'sleep'>) {
  return {
    publisher: new SnsPublisher(w.clients.sns),
    flags: new AppConfigFlagsAdapter(w.clients.appconfig),
    alarms: new CloudWatchAlarmsAdapter(w.clients.cloudwatch),
    ecs: new EcsAdapter(w.clients.ecs),
    /** The catalogue's adapters, composed as in production over the simulated clients. */
    // random 0: the ARC adapter starts at a cluster's first endpoint, so a drill tells the same story every run.
    adapters: mitigationAdapters(simulatedAwsClients(w.clients), { sleep: w.sleep, now: () => w.clock().getTime(), random: () => 0 }),
  };
}

export function workflowHandlers(w: DrillWiring): Record<string, LocalTaskHandler> {
  const { publisher, flags, alarms, ecs, adapters } = drillAdapters(w);
  const { store, clock } = w;
  // Each call is one Lambda invocation: a crashAfterMutation fault ends it as a crash ends a real one.
  const handlers: Record<string, LocalTaskHandler> = {
    'open-incident': createOpenIncidentHandler({ store, clock }),
    notify: createNotifyHandler({ store, publisher, statusTopicArn: w.statusTopicArn, clock }),
    triage: createTriageHandler({ store, flags, ecs, alarms, clock }),
    decide: createDecideHandler({ store, clock }),
    mitigate: createMitigateHandler({
      store,
      adapters,
      pause: new PauseSwitch({ tableName: w.tableName, client: w.documentClient, clock }),
      brake: new AutomationBrake({ tableName: w.tableName, client: w.documentClient, clock }),
      deploymentStrategyId: w.deploymentStrategyId,
      clock,
      sleep: w.sleep,
    }),
    verify: createVerifyHandler({ store, alarms, adapters, clock }),
    escalate: createEscalateHandler({ store, publisher, statusTopicArn: w.statusTopicArn, escalationTopicArn: w.escalationTopicArn, clock }),
    'close-incident': createCloseIncidentHandler({ store, clock }),
  };
  return Object.fromEntries(Object.entries(handlers).map(([name, handler]) => [name, asInvocation(name, handler)]));
}

/** The starter function, wired to the local workflow's StartExecution. */
export function starterHandler(w: DrillWiring, sfn: SFNClient, stateMachineArn: string) {
  return asInvocation('start-execution', createStartExecutionHandler({
    config: w.config,
    store: w.store,
    sfn,
    stateMachineArn,
    publisher: new SnsPublisher(w.clients.sns),
    escalationTopicArn: w.escalationTopicArn,
    clock: w.clock,
  }));
}

/** One run of the scheduled status-cadence function (every CADENCE_SCHEDULE_MINUTES in production). */
export function cadenceHandler(w: DrillWiring): () => Promise<unknown> {
  const run = createStatusCadenceHandler({
    store: w.store,
    publisher: new SnsPublisher(w.clients.sns),
    statusTopicArn: w.statusTopicArn,
    escalationTopicArn: w.escalationTopicArn,
    settings: cadenceSettingsFor(w.config),
    clock: w.clock,
  });
  return asInvocation('status-cadence', () => run({}));
}

/** The on-call human's commands, through the same code as `tourniquet ack|resolve`. */
export function operatorCommands(w: DrillWiring) {
  const deps = { store: w.store, publisher: new SnsPublisher(w.clients.sns), statusTopicArn: w.statusTopicArn, clock: w.clock };
  return {
    ack: (incidentId: string, by: string, reason?: string) => acknowledgeIncident(deps, incidentId, by, reason),
    resolve: (incidentId: string, by: string, reason?: string) =>
      resolveIncident({ ...deps, flapCooldownMinutes: w.config.lifecycle.flapCooldownMinutes }, incidentId, by, reason),
  };
}
