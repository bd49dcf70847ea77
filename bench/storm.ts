import { AsyncLocalStorage } from 'node:async_hooks';

import { SFNClient, type StartExecutionCommandInput } from '@aws-sdk/client-sfn';
import { SNSClient } from '@aws-sdk/client-sns';

import { createLocalTable, type DynamoDbLocal, localDocumentClient } from '../drill/dynamodb-local.js';
import { NO_METRICS } from '../lambdas/adapters/memory-metrics.js';
import { SnsPublisher } from '../lambdas/adapters/sns-publisher.js';
import { checkConfig, type TourniquetConfig } from '../lambdas/core/config.js';
import { createOpenIncidentHandler } from '../lambdas/handlers/open-incident.js';
import { createStartExecutionHandler, type StartSummary } from '../lambdas/handlers/start-execution.js';
import { IncidentStore } from '../lambdas/store/incident-store.js';

/**
 * The alert storm: `transitions` alarm transitions for `services` services × 2 alarms, every alarm
 * flapping (ALARM, OK, ALARM, ...), each event delivered `deliveries` times, `concurrency` starter
 * invocations at once, through the real starter and the real open-incident step against DynamoDB
 * Local. StartExecution is answered locally: it counts the execution and runs its first step, the
 * rest of each workflow is the drill's business (the alert-storm scenario).
 */

export interface StormOptions {
  readonly services: number;
  readonly transitions: number;
  readonly deliveries: number;
  readonly concurrency: number;
}

export interface StormResult {
  readonly stormEvents: number;
  readonly stormDeliveries: number;
  readonly stormSeconds: number;
  readonly incidentsCreated: number;
  readonly executionsStarted: number;
  /** DynamoDB calls of one delivery that did not open an incident (joined, duplicate, ignored): the folded path. */
  readonly dynamoCallsPerFoldedEvent: { readonly mean: number; readonly max: number };
  /** DynamoDB calls of the delivery that opened an incident, its first workflow step included. */
  readonly dynamoCallsPerOpen: { readonly mean: number; readonly max: number };
  /** Median wall milliseconds, under the storm, from an opening event's arrival to its incident opened and its workflow's first step done. */
  readonly controlPlaneMsPerIncident: number;
  readonly outcomes: Record<string, number>;
}

const ACCOUNT = '123456789012';
const REGION = 'us-east-1';
const STATE_MACHINE = `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:Tourniquet-bench`;
const TOPIC = `arn:aws:sns:${REGION}:${ACCOUNT}:Tourniquet-bench-escalation`;

export function stormConfig(services: number): TourniquetConfig {
  const checked = checkConfig({
    version: 1,
    stage: 'bench',
    // Above the storm's size: this measures the episode path, not the cap (which pages each incident past it).
    lifecycle: { maxOpenIncidents: services + 5 },
    services: Array.from({ length: services }, (_, i) => {
      const name = `svc-${String(i + 1).padStart(2, '0')}`;
      return { name, alarms: [{ name: `${name}-5xx` }, { name: `${name}-errors` }], resources: { ecs: { cluster: 'storm', service: name } } };
    }),
  });
  if (!checked.ok) throw new Error(`bench storm config is invalid: ${JSON.stringify(checked.problems)}`);
  return checked.config;
}

/** The EventBridge event CloudWatch sends for one transition of a single-metric alarm. */
function stateChangeEvent(alarmName: string, state: 'ALARM' | 'OK', at: Date, seq: number) {
  const previous = state === 'ALARM' ? 'OK' : 'ALARM';
  const timestamp = (d: Date) => d.toISOString().replace('Z', '+0000');
  return {
    version: '0',
    id: `00000000-0000-4000-8000-${String(seq).padStart(12, '0')}`,
    'detail-type': 'CloudWatch Alarm State Change',
    source: 'aws.cloudwatch',
    account: ACCOUNT,
    time: at.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region: REGION,
    resources: [`arn:aws:cloudwatch:${REGION}:${ACCOUNT}:alarm:${alarmName}`],
    detail: {
      alarmName,
      state: { value: state, reason: `Threshold Crossed (storm transition ${seq})`, reasonData: '{"version":"1.0"}', timestamp: timestamp(at) },
      previousState: { value: previous, reason: 'previous', reasonData: '{"version":"1.0"}', timestamp: timestamp(new Date(at.getTime() - 60_000)) },
      configuration: {
        metrics: [{ id: 'm1', metricStat: { metric: { namespace: 'Storm', name: 'ErrorRate', dimensions: { Alarm: alarmName } }, period: 60, stat: 'Average' }, returnData: true }],
      },
    },
  };
}

/** Every alarm flaps: transitions alternate ALARM/OK per alarm, interleaved across services within a few minutes. */
export function stormEvents(config: TourniquetConfig, transitions: number, start = new Date('2026-11-23T03:00:00Z')) {
  const alarms = config.services.flatMap((s) => s.alarms.map((a) => a.name));
  const events: ReturnType<typeof stateChangeEvent>[] = [];
  const count = new Map<string, number>();
  for (let i = 0; i < transitions; i++) {
    const alarm = alarms[i % alarms.length]!;
    const n = count.get(alarm) ?? 0;
    count.set(alarm, n + 1);
    // A new transition of each alarm every minute, services a second apart.
    events.push(stateChangeEvent(alarm, n % 2 === 0 ? 'ALARM' : 'OK', new Date(start.getTime() + n * 60_000 + (i % alarms.length) * 1000), i));
  }
  return events;
}

export async function runStorm(dynamodb: DynamoDbLocal, options: StormOptions): Promise<StormResult> {
  const config = stormConfig(options.services);
  const tableName = `tourniquet-bench-storm-${Date.now()}`;
  await createLocalTable(dynamodb.endpoint, tableName);
  const documentClient = localDocumentClient(dynamodb.endpoint);
  // Calls are counted per delivery: concurrent deliveries each carry their own counter through their awaits.
  const perDelivery = new AsyncLocalStorage<{ calls: number }>();
  documentClient.middlewareStack.add(
    (next) => async (args) => {
      const counter = perDelivery.getStore();
      if (counter) counter.calls += 1;
      return next(args);
    },
    { step: 'initialize', name: 'benchCountCalls' },
  );
  const store = new IncidentStore({ tableName, client: documentClient });
  const openIncident = createOpenIncidentHandler({ store, clock: () => new Date() });

  const started = new Set<string>();
  const sfn = new SFNClient({ region: REGION, credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' } });
  sfn.middlewareStack.add(
    () => async (args) => {
      const input = args.input as StartExecutionCommandInput;
      const name = input.name!;
      if (started.has(name)) {
        const error = new Error(`Execution ${name} already exists`);
        error.name = 'ExecutionAlreadyExists';
        throw error;
      }
      started.add(name);
      // The execution's first step, as Step Functions would run it.
      const workflowInput = JSON.parse(input.input ?? '{}') as Record<string, unknown>;
      await openIncident({ ...workflowInput, execution: { id: `${STATE_MACHINE.replace(':stateMachine:', ':execution:')}:${name}`, name, startTime: new Date().toISOString() } });
      return { output: { executionArn: name, startDate: new Date(), $metadata: {} }, response: {} } as never;
    },
    { step: 'initialize', name: 'benchStartExecution' },
  );
  const sns = new SNSClient({ region: REGION, credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' } });
  sns.middlewareStack.add(() => async () => ({ output: { MessageId: 'bench', $metadata: {} }, response: {} }) as never, { step: 'initialize', name: 'benchSns' });
  const starter = createStartExecutionHandler({
    config,
    store,
    sfn,
    stateMachineArn: STATE_MACHINE,
    publisher: new SnsPublisher(sns),
    escalationTopicArn: TOPIC,
    metrics: NO_METRICS,
    clock: () => new Date(),
  });

  // Each event three times: the copies come late (after other events), as EventBridge retries do.
  const events = stormEvents(config, options.transitions);
  const deliveries = Array.from({ length: options.deliveries }, (_, copy) => events.map((e, i) => ({ e, order: i + copy * 37 })))
    .flat()
    .sort((a, b) => a.order - b.order);
  const outcomes: Record<string, number> = {};
  const foldedCalls: number[] = [];
  const openCalls: number[] = [];
  const openMs: number[] = [];
  let next = 0;
  const t0 = performance.now();
  const worker = async () => {
    while (next < deliveries.length) {
      const { e } = deliveries[next++]!;
      const counter = { calls: 0 };
      const t = performance.now();
      const summary: StartSummary = await perDelivery.run(counter, () => starter(e));
      const outcome = summary.started.length
        ? 'opened'
        : summary.joined.length
          ? 'joined'
          : summary.duplicates.length
            ? 'duplicate'
            : summary.alreadyRunning.length
              ? 'already-running'
              : summary.reopened.length
                ? 'reopened'
                : 'ignored';
      outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
      if (outcome === 'opened') {
        openCalls.push(counter.calls);
        openMs.push(performance.now() - t);
      } else foldedCalls.push(counter.calls);
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  const stormSeconds = (performance.now() - t0) / 1000;

  const incidents = await store.listIncidents({ limit: 1000 });
  documentClient.destroy();
  const stats = (xs: number[]) => ({ mean: xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0, max: xs.length ? Math.max(...xs) : 0 });
  openMs.sort((a, b) => a - b);
  return {
    stormEvents: events.length,
    stormDeliveries: deliveries.length,
    stormSeconds,
    incidentsCreated: incidents.length,
    executionsStarted: started.size,
    dynamoCallsPerFoldedEvent: stats(foldedCalls),
    dynamoCallsPerOpen: stats(openCalls),
    controlPlaneMsPerIncident: openMs.length ? openMs[Math.floor(openMs.length / 2)]! : 0,
    outcomes,
  };
}
