import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';

import { PublishCommand } from '@aws-sdk/client-sns';

import { MemoryMetricsSink } from '../lambdas/adapters/memory-metrics.js';
import { CADENCE_SCHEDULE_MINUTES } from '../lambdas/core/cadence.js';
import { parseConfig, type TourniquetConfig } from '../lambdas/core/config.js';
import { ChatRelay } from '../lambdas/operations/chat-relay.js';
import { setPause } from '../lambdas/operations/pause.js';
import { incidentPostmortem, metricsOf } from '../lambdas/operations/postmortem.js';
import type { StartSummary } from '../lambdas/operations/start-execution.js';
import { undoIncident, type UndoStep } from '../lambdas/operations/undo.js';
import { composeOperator } from '../lambdas/runtime/compose/index.js';
import { type IncidentRecord, IncidentStore } from '../lambdas/store/incident-store.js';
import { PauseSwitch } from '../lambdas/store/pause.js';
import { AlarmPump, type PumpedTransition } from './alarm-pump.js';
import { summarizeDrillConfig } from './config-summary.js';
import { loadWorkflowDefinition } from './definition.js';
import { detectionMismatches, scriptedFaultStart } from './detection.js';
import { createLocalTable, deleteLocalTable, type DynamoDbLocal, localDocumentClient, startDynamoDbLocal } from './dynamodb-local.js';
import { appliedTypes, type IncidentOutcome, judge, mutationBudget } from './expectations.js';
import { DrillFailureNet } from './failure-net.js';
import { cadenceHandler, drillAdapters, drillRuntime, type DrillWiring, operatorCommands, starterHandler, workflowHandlers } from './handlers.js';
import { type LocalTaskHandler, LocalWorkflow } from './local-workflow.js';
import { metricMismatches } from './metric-checks.js';
import { metricSeries } from './metric-series.js';
import { awaitApprovalHandler } from './operator.js';
import type { DrillResult } from './report.js';
import { roleChainMismatches, roleChainSummary } from './role-chain.js';
import { atOffset, DEFAULT_DELIVERY, MAX_DRILL_SECONDS, type Scenario, ScenarioInvalidError } from './scenario.js';
import { Scheduler, SchedulerError } from './scheduler.js';
import { type AppliedChange, SimulatedAccount } from './sim/account.js';
import { VirtualClock } from './sim/clock.js';
import { SIM_ACCOUNT, SIM_REGION } from './sim/ids.js';
import { changesState, isMutation } from './sim/wire.js';
import { CrossAccountWorld } from './sim/world.js';

/**
 * Runs one scenario as an episode: everything that happens is an actor of one discrete-event
 * scheduler on the virtual clock (drill/scheduler.ts). The scenario's history is applied at its
 * offsets; the alarm pump evaluates every alarm of the account and delivers each transition, ALARM
 * and OK, to the real starter function; executions of the synthesized state machine run with the
 * real handlers against DynamoDB Local and the simulated account, interleaved; the status-cadence
 * function runs every 5 minutes; scripted humans answer approvals and run `tourniquet ack|resolve`.
 * The drill ends when nothing is running and nothing lies ahead, or at the scenario's `until`.
 */

export const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));
export const DEFAULT_CONFIG_PATH = resolve(REPO_ROOT, 'tourniquet.config.json');

/**
 * Wake-ups before a drill counts as runaway (an alarm flapping forever, a workflow that loops). The
 * alert storm takes a few thousand; a quiet week of hourly alarm re-checks a few hundred.
 */
const MAX_STEPS = 100_000;
/** Real milliseconds between progress lines of a long drill. */
const PROGRESS_EVERY_MS = 2000;

export interface DrillSession {
  readonly dynamodb: DynamoDbLocal;
  close(): Promise<void>;
}

export interface DrillSessionOptions {
  /**
   * A DynamoDB Local that is already running (the one a test run shares): the session uses it
   * instead of starting its own, and on close deletes the tables its scenarios made and leaves it running.
   */
  readonly endpoint?: string;
}

/** Tables made by the scenarios of a session on an endpoint it does not own, deleted when it closes. */
const borrowedTables = new WeakMap<DrillSession, string[]>();

/** Starts what every scenario shares (DynamoDB Local, unless given one); close it when done. */
export async function openDrillSession(options: DrillSessionOptions = {}): Promise<DrillSession> {
  if (options.endpoint === undefined) {
    const dynamodb = await startDynamoDbLocal();
    return { dynamodb, close: () => dynamodb.stop() };
  }
  const endpoint = options.endpoint;
  const tables: string[] = [];
  const session: DrillSession = {
    dynamodb: { endpoint, port: Number(new URL(endpoint).port), stop: async () => {} },
    close: async () => {
      await Promise.all(tables.splice(0).map((name) => deleteLocalTable(endpoint, name)));
    },
  };
  borrowedTables.set(session, tables);
  return session;
}

let sample: TourniquetConfig | undefined;
/** The repository's sample config (what a scenario without `config` drills with), read once. */
const sampleConfig = (): TourniquetConfig => (sample ??= parseConfig(readFileSync(DEFAULT_CONFIG_PATH, 'utf8'), DEFAULT_CONFIG_PATH));

export function loadDrillConfig(scenario: Scenario): TourniquetConfig {
  const path = scenario.config ? (isAbsolute(scenario.config) ? scenario.config : resolve(REPO_ROOT, scenario.config)) : DEFAULT_CONFIG_PATH;
  return parseConfig(readFileSync(path, 'utf8'), path);
}

export interface ScenarioRun {
  readonly result: DrillResult;
  /** The simulated account's state when the primary alarm (else the first alarm) first fired, and at the end. */
  readonly before: unknown;
  readonly after: unknown;
  readonly account: SimulatedAccount;
  readonly store: IncidentStore;
  /** The drill's table on the session's DynamoDB Local: `drill --show` reads the learning records from it. */
  readonly tableName: string;
  /** The accounts and roles of a drill with a workload account (drill/sim/world.ts); undefined in one account. */
  readonly world: CrossAccountWorld | undefined;
  /** Delivers the primary alarm's first ALARM event to the starter again, as EventBridge's at-least-once delivery may, and runs the drill on until quiet. */
  redeliver(): Promise<StartSummary>;
  /** Runs `tourniquet undo` on the first incident, through the same code the CLI uses. */
  undo(by?: string): Promise<UndoStep[]>;
}

let tableCounter = 0;
const definitions = new Map<string, ReturnType<typeof loadWorkflowDefinition>>();

/** Simulated minutes after an undo before the account is compared with its pre-incident state. */
const UNDO_SETTLE_SECONDS = 10 * 60;

export interface RunOptions {
  /** After the drill, undo the first incident's mitigations and check the account is back to its pre-incident state. */
  readonly undo?: boolean;
  /** Receives a progress line every few seconds of wall time during a long drill (the CLI prints them on stderr). */
  readonly progress?: (line: string) => void;
  /** Wraps the handler of each Task state (by state name): tests inject failures with it. */
  readonly taskFault?: (state: string, handler: LocalTaskHandler) => LocalTaskHandler;
  /** Drills with several accounts: the functions the member role trusts (tests break the role chain with it). @default the member stack's */
  readonly memberRoleTrusts?: readonly string[];
}

/** One scripted human action and what came of it. */
type OperatorActionRecord = DrillResult['operatorActions'][number];

export async function runScenario(scenario: Scenario, session: DrillSession, options: RunOptions = {}): Promise<ScenarioRun> {
  const wallStart = performance.now();
  const config = loadDrillConfig(scenario);
  const cacheKey = JSON.stringify(config);
  if (!definitions.has(cacheKey)) definitions.set(cacheKey, loadWorkflowDefinition(config));
  const { definition, handlerByState } = definitions.get(cacheKey)!;

  const startsAt = new Date(scenario.startsAt);
  const clock = new VirtualClock(startsAt);
  const scheduler = new Scheduler(clock);
  const topics = {
    status: `arn:aws:sns:${SIM_REGION}:${SIM_ACCOUNT}:Tourniquet-${config.stage}-status`,
    escalation: `arn:aws:sns:${SIM_REGION}:${SIM_ACCOUNT}:Tourniquet-${config.stage}-escalation`,
    approvers: `arn:aws:sns:${SIM_REGION}:${SIM_ACCOUNT}:Tourniquet-${config.stage}-approvers`,
    chat: `arn:aws:sns:${SIM_REGION}:${SIM_ACCOUNT}:Tourniquet-${config.stage}-chat`,
  };
  // A service in another account: the scenario's account is that workload account, reached through the member role.
  const world = CrossAccountWorld.of(config, options.memberRoleTrusts ? { trusts: options.memberRoleTrusts } : {});
  // Slow calls and SDK retry backoffs (scenario faults) wait in simulated time, letting other actors run.
  const account = new SimulatedAccount({
    scenario,
    clock,
    topicArns: [topics.status, topics.escalation, topics.approvers, topics.chat],
    sleep: (seconds) => scheduler.sleep(seconds),
    ...(world ? world.accountOptions(clock) : {}),
  });

  // Unique across processes too: the drill suites of a test run share one DynamoDB Local.
  const tableName = `tourniquet-drill-${++tableCounter}-${randomUUID().slice(0, 8)}-${scenario.name}`.slice(0, 255);
  await createLocalTable(session.dynamodb.endpoint, tableName);
  borrowedTables.get(session)?.push(tableName);
  const store = new IncidentStore({ tableName, client: localDocumentClient(session.dynamodb.endpoint), clock: () => clock.now() });
  // Every function's metrics, in memory at virtual time: a drill writes no EMF to stdout.
  const emitted = new MemoryMetricsSink(() => clock.now());
  const wiring: DrillWiring = {
    config,
    store,
    clients: account.clients(),
    clock: () => clock.now(),
    // Adapters that back off (WAF lock conflicts) wait in simulated time, letting other actors run.
    sleep: (ms: number) => scheduler.sleep(ms / 1000),
    tableName,
    documentClient: localDocumentClient(session.dynamodb.endpoint),
    statusTopicArn: topics.status,
    escalationTopicArn: topics.escalation,
    chatTopicArn: topics.chat,
    // Cross-account: the central stack's strategy, which the workload account does not have (its own is found by name).
    deploymentStrategyId: world ? world.centralStrategyId : account.immediateStrategyId(),
    metrics: emitted,
    ...(world ? { functionClients: (fn: string) => world.functionClients(account, fn, () => clock.nowMs()), region: world.central.region } : {}),
  };
  const handlers: Record<string, LocalTaskHandler> = {
    ...workflowHandlers(wiring),
    'request-approval': awaitApprovalHandler({
      operator: scenario.operator,
      store,
      documentClient: wiring.documentClient,
      tableName,
      // As composed in Lambda: the notice to the status list gets its chat copy.
      publisher: new ChatRelay(drillAdapters(wiring).publisher, { chatTopicArn: topics.chat, relayed: [topics.status, topics.escalation], metrics: emitted }),
      statusTopicArn: topics.status,
      escalationTopicArn: topics.escalation,
      approversTopicArn: topics.approvers,
      approverEmails: config.notifications.approverEmails,
      clock,
      sleep: (seconds) => scheduler.sleep(seconds),
      metrics: wiring.metrics,
    }),
  };
  const stateMachineArn = `arn:aws:states:${SIM_REGION}:${SIM_ACCOUNT}:stateMachine:Tourniquet-${config.stage}`;
  // The failure net's SNS target publishes through the same simulated SNS, so an SNS outage holds its pages too.
  const failureNet = new DrillFailureNet({
    scheduler,
    stateMachineArn,
    publish: async (message) => ({ messageId: (await wiring.clients.sns.send(new PublishCommand({ TopicArn: topics.escalation, Message: message }))).MessageId! }),
    record: (event) => handlers['escalate']!(event),
  });
  // The scenario's taskFailure faults must name Task states of the definition it drills.
  const unknownStates = account.faults.taskFailureStates().filter(({ state }) => !(state in handlerByState));
  if (unknownStates.length > 0) {
    const known = Object.keys(handlerByState).sort().join(', ');
    throw new ScenarioInvalidError(
      scenario.name,
      unknownStates.map(({ index, state }) => ({ path: `faults[${index}].state`, message: `the synthesized definition has no Task state "${state}" (its Task states: ${known})` })),
    );
  }
  // A taskFailure fault fails the invocation before the handler runs (nothing it would have done happens).
  const scenarioFault =
    (state: string, handler: LocalTaskHandler): LocalTaskHandler =>
    async (input) => {
      const failure = account.faults.takeTaskFailure(state, clock.now());
      if (failure) throw failure;
      return handler(input);
    };
  const taskFault = (state: string, handler: LocalTaskHandler) => scenarioFault(state, options.taskFault ? options.taskFault(state, handler) : handler);
  const workflow = new LocalWorkflow({
    definition,
    handlers: Object.fromEntries(Object.entries(handlerByState).map(([state, name]) => [state, taskFault(state, handlers[name]!)])),
    scheduler,
    stateMachineArn,
    onEnded: (execution) => failureNet.onExecutionEnded(execution),
  });
  const starter = starterHandler(wiring, workflow.client(), stateMachineArn);

  if (scenario.operator.pause) {
    const { service, by, reason } = scenario.operator.pause;
    await setPause(new PauseSwitch({ tableName, client: wiring.documentClient, clock: wiring.clock }), true, {
      by,
      ...(service ? { service } : {}),
      ...(reason ? { reason } : {}),
    });
  }

  // ---- the actors ----

  const problems: string[] = [];
  const history: AppliedChange[] = [];
  scheduler.spawn('scenario history', async () => {
    await account.applyHistory({ waitUntil: (t) => scheduler.sleepUntil(t), onApplied: (change) => history.push(change) });
  });

  let primaryFired: PumpedTransition | undefined;
  let before: unknown;
  let observedBefore: Record<string, unknown> | undefined;
  const metricAlarms = scenario.account.alarms;
  const pump = new AlarmPump({
    scheduler,
    cloudwatch: account.cloudwatch,
    alarms: account.cloudwatch.alarmNames(),
    delivery: scenario.delivery ?? DEFAULT_DELIVERY,
    boundaries: account.health.boundaries(),
    stateVersion: () => account.stateVersion(),
    deliver: (event) => starter(event),
    reactionSeconds: Math.max(0, ...metricAlarms.map((a) => a.periodSeconds * a.evaluationPeriods)),
    onTransition: (t) => {
      // "Before" is the account as it was when the incident began, before the automation touched it.
      if (!primaryFired && t.state === 'ALARM' && (scenario.alarm === undefined || t.alarm === scenario.alarm)) {
        primaryFired = t;
        before = account.snapshot();
        observedBefore = account.observable();
      }
    },
  });
  pump.start();

  const cadence = cadenceHandler(wiring);
  const cadenceEveryS = CADENCE_SCHEDULE_MINUTES * 60;
  scheduler.spawn(
    'status cadence',
    async () => {
      for (;;) {
        try {
          await cadence();
        } catch (error) {
          problems.push(`the status-cadence run at ${clock.now().toISOString()} failed: ${(error as Error).name}: ${(error as Error).message}`);
        }
        await scheduler.sleep(cadenceEveryS);
      }
    },
    // The schedule runs whether or not anything happens: it must not keep the drill going by itself.
    { at: new Date(startsAt.getTime() + cadenceEveryS * 1000), daemon: true },
  );

  const commands = operatorCommands(wiring);
  const operatorActions: OperatorActionRecord[] = [];
  for (const action of scenario.operator.actions) {
    const [kind, target] = action.ack ? (['ack', action.ack] as const) : (['resolve', action.resolve!] as const);
    scheduler.spawn(
      `operator: tourniquet ${kind} (${target.service})`,
      async () => {
        const at = clock.now().toISOString();
        const incident = await store.findCurrentIncident(target.service);
        const record: OperatorActionRecord = { at, action: kind, service: target.service, by: target.by, incidentId: incident?.incidentId ?? null };
        if (!incident) {
          operatorActions.push({ ...record, error: `${target.service} has no current incident` });
          return;
        }
        try {
          operatorActions.push({ ...record, result: await commands[kind](incident.incidentId, target.by, target.reason) });
        } catch (error) {
          operatorActions.push({ ...record, error: `${(error as Error).name}: ${(error as Error).message}` });
        }
      },
      { at: atOffset(startsAt, action.at) },
    );
  }

  if (options.progress) {
    const progress = options.progress;
    let last = performance.now();
    scheduler.beforeWake(() => {
      if (performance.now() - last < PROGRESS_EVERY_MS) return;
      last = performance.now();
      const offset = Math.round((clock.nowMs() - startsAt.getTime()) / 1000);
      const hhmmss = `+${String(Math.floor(offset / 3600)).padStart(2, '0')}:${new Date(offset * 1000).toISOString().slice(14, 19)}`;
      progress(`  … ${scenario.name} at ${hhmmss} simulated: ${workflow.executions.length} executions (${workflow.running} running), ${pump.transitions.length} alarm transitions`);
    });
  }

  // ---- the episode ----

  const until = scenario.until !== undefined ? atOffset(startsAt, scenario.until) : undefined;
  let endReason: DrillResult['ended']['reason'];
  try {
    endReason = (await scheduler.run({ ...(until ? { until } : {}), deadline: new Date(startsAt.getTime() + MAX_DRILL_SECONDS * 1000), maxSteps: MAX_STEPS })).reason;
  } catch (error) {
    if (!(error instanceof SchedulerError)) throw error;
    endReason = 'stopped';
    const flapping = pump.transitions.slice(-3).map((t) => t.alarm);
    problems.push(
      `the drill was stopped: ${error.message}${flapping.length ? ` (the last alarm transitions: ${[...new Set(flapping)].join(', ')}; an alarm that never settles needs \`until\` in the scenario)` : ''}`,
    );
  }
  const endedAt = clock.now();
  for (const f of scheduler.failures) problems.push(`${f.actor} failed at ${f.at}: ${(f.error as Error).name}: ${(f.error as Error).message}`);
  for (const t of pump.transitions) {
    for (const d of t.deliveries) if (d.error) problems.push(`the starter failed on ${t.alarm} → ${t.state} (delivered ${d.at}): ${d.error}`);
  }
  for (const a of operatorActions) if (a.error) problems.push(`${a.by}'s tourniquet ${a.action} for ${a.service} at ${a.at} failed: ${a.error}`);

  // ---- what happened ----

  const published = account.published();
  const pagesFor = (incidentId: string) => published.filter((m) => m.topicArn === topics.escalation && m.messageAttributes?.['incidentId']?.StringValue === incidentId);
  const pagesOf = (incidentId: string) => pagesFor(incidentId).length;
  const records = (await store.listIncidents({ limit: 1000 })).reverse();
  const alarmsOf = (i: IncidentRecord) => (i.alarms && i.alarms.length > 0 ? i.alarms : [i.alarmName]);
  const allOk = (i: IncidentRecord) => alarmsOf(i).every((name) => account.cloudwatch.stateAt(name, endedAt).state === 'OK');
  const incidents = await Promise.all(
    records.map(async (i) => {
      const [timeline, actions] = await Promise.all([store.listTimeline(i.incidentId), store.listActions(i.incidentId)]);
      return { record: i, timeline, actions, pages: pagesOf(i.incidentId), restored: Boolean(i.mitigatedAt) && allOk(i), escalated: Boolean(i.escalatedAt) };
    }),
  );
  const first = incidents[0];
  const primaryFinalState = scenario.alarm !== undefined ? account.cloudwatch.stateAt(scenario.alarm, endedAt).state : undefined;
  // With a primary alarm, "restored" keeps its single-incident meaning: mitigated, and that alarm is OK.
  const restored = first ? (primaryFinalState !== undefined ? Boolean(first.record.mitigatedAt) && primaryFinalState === 'OK' : first.restored) : false;
  const escalated = Boolean(first?.escalated);
  const mutatingCalls = account
    .calls()
    .filter((c) => c.origin === 'drill' && changesState(c))
    .map((c) => ({
      at: c.at,
      service: c.service,
      command: c.command,
      ...(c.error ? { error: `${c.error.name}: ${c.error.message}` } : {}),
      ...(c.fault ? { fault: c.fault } : {}),
    }));
  // Accepted writes only: a throttled, denied or conflicting call changed nothing; one whose invocation crashed afterwards did.
  const mutations = mutatingCalls.filter(isMutation).length;
  const budget = mutationBudget(incidents.flatMap((i) => i.actions));
  const executions = workflow.executions;
  const outcomes: IncidentOutcome[] = incidents.map((i) => ({
    incidentId: i.record.incidentId,
    service: i.record.service,
    status: i.record.status,
    alarms: alarmsOf(i.record),
    actions: i.actions,
    pages: i.pages,
    ...(pagesFor(i.record.incidentId)[0] ? { firstPageAt: pagesFor(i.record.incidentId)[0]!.at } : {}),
    restored: i.restored,
    escalated: i.escalated,
  }));
  for (const d of failureNet.deliveries) {
    if (d.deadLettered) problems.push(`the failure net's ${d.target} for ${d.execution} went to the dead-letter queue after ${d.attempts} attempts: ${d.deadLettered}`);
  }
  for (const i of incidents) {
    const own = executions.filter((e) => incidentIdOf(e.input) === i.record.incidentId);
    const netPages = failureNet.deliveries.filter((d) => d.target === 'page' && d.messageId && own.some((e) => e.name === d.execution)).length;
    if (i.record.status !== 'RESOLVED' && i.pages + netPages === 0 && !own.some((e) => e.status === 'RUNNING')) {
      problems.push(`incident ${i.record.incidentId} ended ${i.record.status} with no page and no resolve: a silent end`);
    }
  }
  const mismatches = judge(scenario, {
    ...(primaryFired && scenario.alarm !== undefined ? { primaryFiredAt: new Date(primaryFired.at) } : {}),
    ...(primaryFinalState !== undefined ? { primaryFinalState } : {}),
    incidents: outcomes,
    first: { restored, escalated, applied: first ? appliedTypes(first.actions) : [] },
    executions,
    mutatingCalls,
    mutations,
    budget,
    failureNetPages: failureNet.deliveries.flatMap((d) => {
      if (d.target !== 'page' || !d.messageId) return [];
      const incidentId = incidentIdOf(executions.find((e) => e.name === d.execution)?.input);
      return [{ execution: d.execution, ...(incidentId ? { incidentId } : {}) }];
    }),
    problems,
  });
  mismatches.push(...metricMismatches(emitted.records, incidents));
  if (world)
    mismatches.push(
      ...roleChainMismatches(
        account.calls(),
        world,
        outcomes.map((i) => i.incidentId),
        scenario.expect.assumeRoleBy,
      ),
    );
  before ??= account.snapshot();
  // Read before any undo moves the clock on: the chart ends where the drill did.
  const series = metricSeries({
    scenario,
    cloudwatch: account.cloudwatch,
    ...(first ? { incidentAlarm: first.record.alarmName } : {}),
    fired: pump.transitions.filter((t) => t.state === 'ALARM').map((t) => t.alarm),
    endedAt,
    lastEventAt: new Date(Math.max(0, ...[...(first?.timeline ?? []), ...pump.transitions].map((e) => Date.parse(e.at)))),
  });
  const postmortem = first
    ? await incidentPostmortem({ store, serviceFor: (name) => config.services.find((s) => s.name === name), clock: wiring.clock }, first.record.incidentId)
    : null;

  // Judged after the outcome above was read: undo deliberately puts the account back as it was.
  const undo = options.undo ? await undoAndCompare() : undefined;
  if (undo && !undo.restoredToBefore) mismatches.push('undo did not bring the account back to its pre-incident state');

  async function runUndo(by: string): Promise<UndoStep[]> {
    if (!first) return [];
    return undoIncident(
      await composeOperator.undo(drillRuntime(wiring), { tableName: wiring.tableName, deploymentStrategyId: wiring.deploymentStrategyId, config }, by),
      first.record.incidentId,
    );
  }

  async function undoAndCompare(): Promise<NonNullable<DrillResult['undo']>> {
    if (!first) return { steps: [], restoredToBefore: true };
    const steps = await runUndo('drill operator');
    clock.advanceBy(UNDO_SETTLE_SECONDS);
    return { steps, restoredToBefore: isDeepStrictEqual(account.observable(), observedBefore ?? account.observable()) };
  }

  const metrics = first ? metricsOf(first.record) : undefined;
  // Detection: when the scripted fault began behind the first incident's alarm; the metrics must agree with the timeline and with it.
  const faultStart = first ? scriptedFaultStart(scenario, account.health, first.record.alarmName, new Date(first.record.signal.stateChangeTime)) : undefined;
  if (first && metrics) {
    mismatches.push(...detectionMismatches({ ...metrics, impactStartedAt: first.record.impactStartedAt ?? null, timeline: first.timeline, faultStart }));
  }
  const firstExecution = executions[0];
  const ledger = (actions: (typeof incidents)[number]['actions']) =>
    actions.map((a) => ({ type: a.type, target: a.target, status: a.status, ...(a.detail ? { detail: a.detail } : {}) }));
  const result: DrillResult = {
    scenario: scenario.name,
    description: scenario.description,
    config: summarizeDrillConfig(config, scenario.config ?? DEFAULT_CONFIG_PATH, REPO_ROOT, scenario.configWhy, sampleConfig()),
    incidentId: first?.record.incidentId ?? null,
    restored,
    escalated,
    expected: scenario.expect,
    passed: mismatches.length === 0,
    mismatches,
    alarm: scenario.alarm !== undefined ? { name: scenario.alarm, firedAt: primaryFired?.at ?? null, finalState: primaryFinalState ?? 'OK' } : null,
    actions: first ? ledger(first.actions) : [],
    incidents: incidents.map((i) => ({
      incidentId: i.record.incidentId,
      service: i.record.service,
      status: i.record.status,
      alarms: [...alarmsOf(i.record)],
      actions: ledger(i.actions),
      pages: i.pages,
      restored: i.restored,
      escalated: i.escalated,
      openedAt: i.record.openedAt,
      timeline: i.timeline,
    })),
    notifications: published.map((m) => {
      // A chat copy has no subject: its Chatbot title is the email's subject.
      const subject = m.topicArn === topics.chat ? chatTitle(m.message) : (m.subject ?? '');
      return {
        status: /^\[[^\]]+\]\[([^\]]+)\]/.exec(subject)?.[1] ?? 'Report',
        subject,
        topic: m.topicArn === topics.escalation ? 'escalation' : m.topicArn === topics.approvers ? 'approvers' : m.topicArn === topics.chat ? 'chat' : 'status',
        at: m.at,
        ...(m.messageAttributes?.['incidentId']?.StringValue ? { incidentId: m.messageAttributes['incidentId'].StringValue } : {}),
        ...(failureNet.pageIds.has(m.messageId) ? { via: 'failure-net' as const } : {}),
        body: m.message,
      };
    }),
    roleChain: world ? roleChainSummary(account.calls(), world) : null,
    mttdSeconds: metrics?.mttdSeconds ?? null,
    mttmSeconds: metrics?.mttmSeconds ?? null,
    mttrSeconds: metrics?.mttrSeconds ?? null,
    impactStartedAt: first?.record.impactStartedAt ?? null,
    impactStartSource: first?.record.impactStartSource ?? null,
    faultStartedAt: faultStart?.at ?? null,
    stateTransitions: firstExecution?.states.length ?? 0,
    states: [...(firstExecution?.states ?? [])],
    execution: firstExecution ? { name: firstExecution.name, status: firstExecution.status, ...(firstExecution.error ? { error: firstExecution.error } : {}) } : null,
    executionsStarted: executions.length,
    executions: executions.map((e) => ({ name: e.name, status: e.status, transitions: e.states.length, ...(e.error ? { error: e.error } : {}) })),
    mutatingCalls,
    mutations,
    faults: account.faultReport(),
    duplicateMutations: Math.max(0, mutations - budget),
    metrics: [...emitted.records],
    alarmTransitions: pump.transitions.map((t) => ({ ...t, deliveries: [...t.deliveries] })),
    operatorActions,
    history: history.map((h) => ({ at: h.at, message: h.message })),
    timeline: first?.timeline ?? [],
    postmortem,
    metricSeries: series,
    ...(undo ? { undo } : {}),
    ended: { at: endedAt.toISOString(), reason: endReason },
    wallSeconds: (performance.now() - wallStart) / 1000,
  };
  const redeliver = async (): Promise<StartSummary> => {
    if (!primaryFired) throw new Error(`no alarm fired in scenario ${scenario.name}`);
    const event = account.cloudwatch.stateChangeEvent(primaryFired.alarm, new Date(primaryFired.at));
    let summary: StartSummary | undefined;
    scheduler.spawn('redelivery', async () => {
      summary = await starter(event);
    });
    await scheduler.run();
    if (!summary) throw new Error(`the redelivery did not complete: ${scheduler.failures.map((f) => String(f.error)).join('; ')}`);
    return summary;
  };
  return { result, before, after: account.snapshot(), account, store, tableName, world, redeliver, undo: (by = 'drill operator') => runUndo(by) };
}

/** The incident an execution works on, from its input (the starter's `incidentId`). */
function incidentIdOf(input: string | undefined): string | undefined {
  try {
    return (JSON.parse(input ?? '{}') as { incidentId?: string }).incidentId;
  } catch {
    return undefined;
  }
}

/** The title of a chat copy (an AWS Chatbot custom notification), or '' when the body is not one. */
function chatTitle(body: string): string {
  try {
    const title = (JSON.parse(body) as { content?: { title?: unknown } }).content?.title;
    return typeof title === 'string' ? title : '';
  } catch {
    return '';
  }
}
