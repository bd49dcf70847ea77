import { readFileSync } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import { isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseConfig, type TourniquetConfig } from '../lambdas/core/config.js';
import { IncidentStore } from '../lambdas/store/incident-store.js';
import { undoIncident, type UndoStep } from '../lambdas/operations/undo.js';
import { loadWorkflowDefinition } from './definition.js';
import { createLocalTable, localDocumentClient, startDynamoDbLocal, type DynamoDbLocal } from './dynamodb-local.js';
import type { StartSummary } from '../lambdas/handlers/start-execution.js';
import { drillAdapters, starterHandler, workflowHandlers } from './handlers.js';
import { LocalWorkflow, type LocalTaskHandler } from './local-workflow.js';
import { awaitApprovalHandler } from './operator.js';
import { setPause } from '../cli/commands/pause.js';
import { PauseSwitch } from '../lambdas/store/pause.js';
import type { DrillResult } from './report.js';
import type { Scenario } from './scenario.js';
import { SimulatedAccount } from './sim/account.js';
import { VirtualClock } from './sim/clock.js';
import { SIM_ACCOUNT, SIM_REGION } from './sim/ids.js';

/**
 * Runs one scenario end to end: the simulated account replays the scenario's history, its alarm fires,
 * the real starter function receives the EventBridge event, and the synthesized state machine runs with
 * the real handlers against DynamoDB Local and the simulated account, on a virtual clock.
 */

export const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));
export const DEFAULT_CONFIG_PATH = resolve(REPO_ROOT, 'tourniquet.config.json');

/** Seconds EventBridge takes to hand an alarm transition to the starter function (typical, not guaranteed). */
const EVENT_DELIVERY_SECONDS = 2;

export interface DrillSession {
  readonly dynamodb: DynamoDbLocal;
  close(): Promise<void>;
}

/** Starts what every scenario shares (DynamoDB Local); close it when done. */
export async function openDrillSession(): Promise<DrillSession> {
  const dynamodb = await startDynamoDbLocal();
  return { dynamodb, close: () => dynamodb.stop() };
}

export function loadDrillConfig(scenario: Scenario): TourniquetConfig {
  const path = scenario.config ? (isAbsolute(scenario.config) ? scenario.config : resolve(REPO_ROOT, scenario.config)) : DEFAULT_CONFIG_PATH;
  return parseConfig(readFileSync(path, 'utf8'), path);
}

export interface ScenarioRun {
  readonly result: DrillResult;
  /** The simulated account's state when the alarm fired and after the workflow ended. */
  readonly before: unknown;
  readonly after: unknown;
  readonly account: SimulatedAccount;
  readonly store: IncidentStore;
  /** Delivers the same alarm event to the starter again, as EventBridge's at-least-once delivery may. */
  redeliver(): Promise<StartSummary>;
  /** Runs `tourniquet undo` on the scenario's incident, through the same code the CLI uses. */
  undo(by?: string): Promise<UndoStep[]>;
}

let tableCounter = 0;
const definitions = new Map<string, ReturnType<typeof loadWorkflowDefinition>>();

/** Simulated minutes after an undo before the account is compared with its pre-incident state. */
const UNDO_SETTLE_SECONDS = 10 * 60;

export interface RunOptions {
  /** After the workflow, undo the incident's mitigations and check the account is back to its pre-incident state. */
  readonly undo?: boolean;
}

export async function runScenario(scenario: Scenario, session: DrillSession, options: RunOptions = {}): Promise<ScenarioRun> {
  const wallStart = performance.now();
  const config = loadDrillConfig(scenario);
  const cacheKey = JSON.stringify(config);
  if (!definitions.has(cacheKey)) definitions.set(cacheKey, loadWorkflowDefinition(config));
  const { definition, handlerByState } = definitions.get(cacheKey)!;

  const clock = new VirtualClock(scenario.startsAt);
  const topics = {
    status: `arn:aws:sns:${SIM_REGION}:${SIM_ACCOUNT}:Tourniquet-${config.stage}-status`,
    escalation: `arn:aws:sns:${SIM_REGION}:${SIM_ACCOUNT}:Tourniquet-${config.stage}-escalation`,
  };
  const account = new SimulatedAccount({ scenario, clock, topicArns: [topics.status, topics.escalation] });
  const history = await account.applyHistory();

  const tableName = `tourniquet-drill-${++tableCounter}-${scenario.name}`.slice(0, 255);
  await createLocalTable(session.dynamodb.endpoint, tableName);
  const store = new IncidentStore({ tableName, client: localDocumentClient(session.dynamodb.endpoint), clock: () => clock.now() });

  const firedAt = account.cloudwatch.nextTransition(scenario.alarm, 'ALARM', clock.now());
  if (firedAt) clock.advanceTo(firedAt);
  const before = account.snapshot();
  const observedBefore = account.observable();
  const wiring = {
    config,
    store,
    clients: account.clients(),
    clock: () => clock.now(),
    sleep: async (ms: number) => clock.advanceBy(ms / 1000),
    tableName,
    documentClient: localDocumentClient(session.dynamodb.endpoint),
    statusTopicArn: topics.status,
    escalationTopicArn: topics.escalation,
    deploymentStrategyId: account.immediateStrategyId(),
  };
  const handlers: Record<string, LocalTaskHandler> = {
    ...workflowHandlers(wiring),
    'request-approval': awaitApprovalHandler({
      operator: scenario.operator,
      store,
      documentClient: localDocumentClient(session.dynamodb.endpoint),
      tableName,
      publisher: drillAdapters(wiring).publisher,
      statusTopicArn: topics.status,
      escalationTopicArn: topics.escalation,
      clock,
    }),
  };
  const stateMachineArn = `arn:aws:states:${SIM_REGION}:${SIM_ACCOUNT}:stateMachine:Tourniquet-${config.stage}`;
  const workflow = new LocalWorkflow({
    definition,
    handlers: Object.fromEntries(Object.entries(handlerByState).map(([state, name]) => [state, handlers[name]!])),
    clock,
    stateMachineArn,
  });

  if (scenario.operator.pause) {
    const { service, by, reason } = scenario.operator.pause;
    await setPause(new PauseSwitch({ tableName, client: wiring.documentClient, clock: wiring.clock }), true, { by, ...(service ? { service } : {}), ...(reason ? { reason } : {}) });
  }
  const starter = starterHandler(wiring, workflow.client(), stateMachineArn);
  const event = firedAt ? account.cloudwatch.stateChangeEvent(scenario.alarm, firedAt) : undefined;
  if (firedAt && event) {
    clock.advanceBy(EVENT_DELIVERY_SECONDS);
    await starter(event);
  }

  const execution = workflow.executions[0];
  const incidents = await store.listIncidents({ limit: 5 });
  const incident = incidents[0];
  const [timeline, actions] = incident ? await Promise.all([store.listTimeline(incident.incidentId), store.listActions(incident.incidentId)]) : [[], []];
  const finalAlarmState = account.cloudwatch.stateAt(scenario.alarm, clock.now()).state;
  const restored = Boolean(incident?.mitigatedAt) && finalAlarmState === 'OK';
  const escalated = Boolean(incident?.escalatedAt);
  const applied = actions.filter((a) => a.status === 'applied' || a.status === 'already-applied').map((a) => a.type);
  const mutatingCalls = account
    .calls()
    .filter((c) => c.origin === 'drill' && !/^(Get|List|Describe)/.test(c.command) && c.service !== 'sns')
    .map((c) => ({ at: c.at, service: c.service, command: c.command }));

  const mismatches: string[] = [];
  if (!firedAt) mismatches.push(`alarm ${scenario.alarm} never entered ALARM in the simulated history`);
  if (execution && execution.status !== 'SUCCEEDED') mismatches.push(`execution ${execution.name} ${execution.status}: ${execution.error ?? ''}`);
  // A failure a Catch handled is part of the story (an approval timing out); only an execution that failed is a mismatch.
  if (execution?.status === 'FAILED') for (const f of execution.failures) mismatches.push(`state ${f.state} failed: ${f.error}: ${f.cause}`);
  if (restored !== scenario.expect.restored) mismatches.push(`expected ${scenario.expect.restored ? 'restored' : 'not restored'}, got ${restored ? 'restored' : 'not restored'}`);
  if (escalated !== scenario.expect.escalated) mismatches.push(`expected ${scenario.expect.escalated ? 'an escalation' : 'no escalation'}, got ${escalated ? 'one' : 'none'}`);
  if (JSON.stringify(applied) !== JSON.stringify(scenario.expect.actions)) mismatches.push(`expected actions [${scenario.expect.actions.join(', ')}], got [${applied.join(', ')}]`);
  if (scenario.expect.actions.length === 0 && mutatingCalls.length > 0) mismatches.push(`expected no change to the account, got ${mutatingCalls.map((c) => c.command).join(', ')}`);

  // Judged after the outcome above was read: undo deliberately puts the account back as it was.
  const undo = options.undo ? await undoAndCompare() : undefined;
  if (undo && !undo.restoredToBefore) mismatches.push('undo did not bring the account back to its pre-incident state');

  async function runUndo(by: string, incidentId?: string): Promise<UndoStep[]> {
    const id = incidentId ?? (await store.listIncidents({ limit: 1 }))[0]?.incidentId;
    if (!id) return [];
    return undoIncident(
      { store, ...drillAdapters(wiring), serviceFor: (name) => config.services.find((s) => s.name === name), deploymentStrategyId: wiring.deploymentStrategyId, clock: wiring.clock, by },
      id,
    );
  }

  async function undoAndCompare(): Promise<NonNullable<DrillResult['undo']>> {
    const opened = (await store.listIncidents({ limit: 1 }))[0];
    if (!opened) return { steps: [], restoredToBefore: true };
    const steps = await runUndo('drill operator', opened.incidentId);
    clock.advanceBy(UNDO_SETTLE_SECONDS);
    return { steps, restoredToBefore: isDeepStrictEqual(account.observable(), observedBefore) };
  }

  const metric = (key: string): number | null => {
    const value = incident?.metrics?.[key];
    return typeof value === 'number' ? value : null;
  };
  const result: DrillResult = {
    scenario: scenario.name,
    description: scenario.description,
    incidentId: incident?.incidentId ?? null,
    restored,
    escalated,
    expected: scenario.expect,
    passed: mismatches.length === 0,
    mismatches,
    alarm: { name: scenario.alarm, firedAt: firedAt?.toISOString() ?? null, finalState: finalAlarmState },
    actions: actions.map((a) => ({ type: a.type, target: a.target, status: a.status, ...(a.detail ? { detail: a.detail } : {}) })),
    notifications: account.published().map((m) => ({
      status: /^\[[^\]]+\]\[([^\]]+)\]/.exec(m.subject ?? '')?.[1] ?? 'Report',
      subject: m.subject ?? '',
      topic: m.topicArn === topics.escalation ? 'escalation' : 'status',
      at: m.at,
    })),
    simulatedMttdSeconds: metric('mttdSeconds'),
    simulatedMttmSeconds: metric('mttmSeconds'),
    simulatedMttrSeconds: metric('mttrSeconds'),
    stateTransitions: execution?.states.length ?? 0,
    states: [...(execution?.states ?? [])],
    execution: execution ? { name: execution.name, status: execution.status, ...(execution.error ? { error: execution.error } : {}) } : null,
    mutatingCalls,
    history,
    timeline,
    postmortem: incident?.postmortem ?? null,
    ...(undo ? { undo } : {}),
    wallSeconds: (performance.now() - wallStart) / 1000,
  };
  const redeliver = async (): Promise<StartSummary> => {
    if (!event) throw new Error(`alarm ${scenario.alarm} never fired in scenario ${scenario.name}`);
    return starter(event);
  };
  return { result, before, after: account.snapshot(), account, store, redeliver, undo: (by = 'drill operator') => runUndo(by) };
}
