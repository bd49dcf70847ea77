import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import * as z from 'zod';

import { ConfigInvalidError, findAlarm, parseConfig, type ServiceConfig, type TourniquetConfig } from '../lambdas/core/config.js';
import { IncidentStatusSchema, MitigationTypeSchema } from '../lambdas/core/model.js';
import { OperatorSchema } from './operator.js';
import { AlarmRuleSyntaxError, findRuleCycle, MAX_ALARM_RULE_CHARS, parseAlarmRule, ruleAlarmNames } from './sim/alarm-rule.js';
import { PREDEFINED_STRATEGIES } from './sim/appconfig.js';
import { ArcScenarioSchema } from './sim/arc.js';
import { faultSpecSchema } from './sim/faults.js';
import { FLAG_KEY_PATTERN } from './sim/flags.js';
import { SIM_ACCOUNT } from './sim/ids.js';
import { RdsScenarioSchema } from './sim/rds.js';
import { Route53ScenarioSchema } from './sim/route53.js';
import { WafScenarioSchema, WafTrafficSchema } from './sim/wafv2.js';

/**
 * The drill scenario format: one JSON file describes a simulated AWS account (its initial
 * state and health model), the changes made before the incident, which alarm fires, and what
 * Tourniquet is expected to do. docs/scenarios.md documents every field with an example.
 */

const HERE = fileURLToPath(new URL('.', import.meta.url));
/** Folder of the built-in scenarios. */
export const BUILT_IN_SCENARIO_DIR = path.join(HERE, 'scenarios');
/** The repository's sample config, used when a scenario names none. */
export const DEFAULT_CONFIG_PATH = path.join(HERE, '..', 'tourniquet.config.json');

// ---- offsets ----

const OFFSET_PATTERN = /^([+-])(\d{2,3}):([0-5]\d)(?::([0-5]\d))?$/;

/** A time relative to `startsAt`: "+HH:MM" or "+HH:MM:SS" ("-HH:MM" for the past before the drill). */
export const OffsetSchema = z.string().regex(OFFSET_PATTERN, 'offset must look like "+HH:MM" or "+HH:MM:SS" ("-HH:MM" before startsAt), e.g. "+00:05"');
export type Offset = z.infer<typeof OffsetSchema>;

/** Seconds of an offset ("+00:05" → 300, "-26:00" → -93600). */
export function offsetSeconds(offset: string): number {
  const m = OFFSET_PATTERN.exec(offset);
  if (!m) throw new RangeError(`not an offset: ${JSON.stringify(offset)}`);
  const seconds = Number(m[2]) * 3600 + Number(m[3]) * 60 + Number(m[4] ?? 0);
  return m[1] === '-' ? -seconds : seconds;
}

/** The instant `offset` after (or before) `startsAt`. */
export function atOffset(startsAt: string | Date, offset: string): Date {
  return new Date(new Date(startsAt).getTime() + offsetSeconds(offset) * 1000);
}

// ---- building blocks ----

const appConfigId = z.string().regex(/^[a-z0-9]{4,7}$/, 'AppConfig IDs are 4-7 lowercase letters or digits');
const resourceName = z.string().min(1).max(64);
const flagKey = z.string().regex(FLAG_KEY_PATTERN, 'flag keys start with a lowercase letter; then letters, digits, _ or - (max 64)');
const taskDefinitionRef = z.string().regex(/^[A-Za-z0-9_-]{1,255}:\d+$/, 'task definitions are written family:revision, e.g. "checkout:42"');
const serviceKey = z.string().regex(/^[a-z][a-z0-9-]{0,39}$/, 'service names are lowercase letters, digits and -, max 40');
const percent = z.number().min(0).max(100);
const PREDEFINED_STRATEGY_IDS = PREDEFINED_STRATEGIES.map((s) => s.id);

const AppConfigSectionSchema = z
  .object({
    application: z.object({ id: appConfigId, name: resourceName }).strict(),
    environment: z.object({ id: appConfigId, name: resourceName }).strict(),
    /** The feature-flag configuration profile (type AWS.AppConfig.FeatureFlags). */
    profile: z.object({ id: appConfigId, name: resourceName }).strict(),
    /** Flag key → human-readable flag name. */
    flags: z.record(flagKey, z.string().min(1).max(64)),
    /** Hosted versions 1, 2, ... in order: the enabled state of each flag (flags left out are off). */
    versions: z
      .array(
        z
          .object({
            values: z.record(flagKey, z.boolean()),
            /** Flags deleted from the profile in this version: its document neither defines nor sets them. */
            withoutFlags: z.array(flagKey).optional(),
            description: z.string().max(1024).optional(),
            label: z.string().min(1).max(64).regex(/\D/, 'a version label needs at least one non-digit').optional(),
          })
          .strict(),
      )
      .min(1, 'at least one hosted version is needed'),
    /** Deployments of the profile before `deployed`, oldest first (flag changes the drill's triage may see). */
    earlierDeployments: z
      .array(
        z
          .object({
            version: z.number().int().min(1),
            at: OffsetSchema,
            strategy: z.string().default('AppConfig.AllAtOnce'),
            description: z.string().max(1024).optional(),
          })
          .strict(),
      )
      .default([]),
    /** The deployment live when the drill starts (it completed long before, typically). */
    deployed: z
      .object({
        version: z.number().int().min(1),
        at: OffsetSchema,
        strategy: z.string().default('AppConfig.AllAtOnce'),
      })
      .strict(),
    /** The fast strategy the Tourniquet stack owns (duration 0, growth 100, bake 0); the drill hands its ID to the mitigate step. */
    immediateStrategy: z.object({ id: appConfigId, name: resourceName.default('Tourniquet.Immediate') }).strict(),
    /** Seconds before the application sees a deployed configuration. Default: the config's propagationSeconds. */
    propagationSeconds: z.number().int().min(0).max(900).optional(),
  })
  .strict();

const EcsSectionSchema = z
  .object({
    cluster: z.string().regex(/^[A-Za-z0-9_-]{1,255}$/, 'cluster names are letters, digits, _ and -'),
    /** Registered task definitions, family:revision. */
    taskDefinitions: z.array(taskDefinitionRef).min(1),
    services: z
      .array(
        z
          .object({
            name: z.string().regex(/^[A-Za-z0-9_-]{1,255}$/),
            taskDefinition: taskDefinitionRef,
            desiredCount: z.number().int().min(0).max(5000).default(4),
            /** When the current deployment of `taskDefinition` started (before the drill). */
            since: OffsetSchema.default('-72:00'),
          })
          .strict(),
      )
      .min(1),
    /** Seconds a rolling deployment takes to replace every task. */
    deploymentSeconds: z.number().int().min(1).max(3600).default(120),
  })
  .strict();

const COMPARISON_OPERATORS = ['GreaterThanThreshold', 'GreaterThanOrEqualToThreshold', 'LessThanThreshold', 'LessThanOrEqualToThreshold'] as const;

const AlarmSectionSchema = z
  .object({
    name: z
      .string()
      .min(1)
      .max(255)
      .regex(/^[\x20-\x7E]+$/, 'alarm names are printable ASCII'),
    /** The health-model service whose error rate the alarm watches. */
    service: serviceKey,
    description: z.string().max(1024).optional(),
    threshold: z.number(),
    comparisonOperator: z.enum(COMPARISON_OPERATORS).default('GreaterThanThreshold'),
    periodSeconds: z
      .number()
      .int()
      .refine((p) => p === 10 || p === 20 || p === 30 || (p >= 60 && p % 60 === 0), 'periodSeconds must be 10, 20, 30 or a multiple of 60'),
    evaluationPeriods: z.number().int().min(1),
    /** Defaults to evaluationPeriods (N of N). */
    datapointsToAlarm: z.number().int().min(1).optional(),
    namespace: z.string().min(1).max(255).default('Shop'),
    metricName: z.string().min(1).max(255).default('ErrorRate'),
    statistic: z.enum(['Average', 'Maximum', 'Minimum', 'Sum', 'SampleCount']).default('Average'),
    /** Default: { "Service": <service> }. */
    dimensions: z.record(z.string().min(1).max(255), z.string().min(1).max(1024)).optional(),
  })
  .strict();

const CompositeAlarmSectionSchema = z
  .object({
    name: z
      .string()
      .min(1)
      .max(255)
      .regex(/^[\x20-\x7E]+$/, 'alarm names are printable ASCII'),
    /** e.g. `ALARM("checkout-5xx-rate") OR ALARM("checkout-p99-latency")`; see drill/sim/alarm-rule.ts. */
    rule: z.string().min(1).max(MAX_ALARM_RULE_CHARS),
    description: z.string().max(1024).optional(),
  })
  .strict();

const FaultSchema = z
  .object({
    description: z.string().max(500).optional(),
    errorRatePercent: percent,
    /** Exactly one condition: a flag on, a task definition running, or always. */
    when: z
      .object({
        flagEnabled: flagKey.optional(),
        flagDisabled: flagKey.optional(),
        taskDefinitionRunning: taskDefinitionRef.optional(),
        /** Active on the share of DNS answers that still point at this record (set identifier) of account.route53. */
        servedBy: z
          .object({ recordName: z.string().min(1), setIdentifier: z.string().min(1) })
          .strict()
          .optional(),
        /** Active on the share of users account.arc's routing controls still send to this cell (a routing control name of arc.traffic.cells). */
        servedByCell: z.string().min(1).optional(),
        /** Active while this DB instance of account.database is the cluster's writer (a writer that locked up). */
        databaseWriter: z.string().min(1).optional(),
        /** Active while the web ACL in force does not block this traffic. */
        trafficUnblocked: z
          .object({ webAcl: z.string().min(1), traffic: WafTrafficSchema })
          .strict()
          .optional(),
        /** Active while the ECS service (same name as the health entry) runs fewer than this many tasks. */
        capacityBelow: z.number().int().positive().optional(),
        always: z.literal(true).optional(),
      })
      .strict()
      .refine(
        (w) => Object.keys(w).length === 1,
        'when needs exactly one of flagEnabled, flagDisabled, taskDefinitionRunning, servedBy, servedByCell, databaseWriter, trafficUnblocked, capacityBelow or always',
      ),
    /** The fault can only be active from this offset on. */
    from: OffsetSchema.optional(),
    /** The fault can only be active before this offset. */
    until: OffsetSchema.optional(),
    /**
     * The fault comes and goes: it applies only during the first onSeconds of every
     * onSeconds + offSeconds cycle, counted from `from` (or from startsAt). Makes alarms flap.
     */
    pulse: z
      .object({ onSeconds: z.number().int().min(1).max(86_400), offSeconds: z.number().int().min(1).max(86_400) })
      .strict()
      .optional(),
  })
  .strict();

const ServiceHealthSchema = z
  .object({
    baselineErrorRatePercent: percent.default(0),
    faults: z.array(FaultSchema).default([]),
  })
  .strict();

const HistoryEntrySchema = z
  .object({
    at: OffsetSchema,
    /** StartDeployment of a hosted version to the scenario's environment. */
    startDeployment: z
      .object({
        configurationVersion: z.number().int().min(1),
        /** Deployment strategy ID; default the scenario's immediate strategy. */
        strategy: z.string().optional(),
        description: z.string().max(1024).optional(),
      })
      .strict()
      .optional(),
    /** UpdateService on the scenario's cluster. */
    updateService: z
      .object({
        /** Default: the only ECS service of the scenario. */
        service: z.string().optional(),
        taskDefinition: taskDefinitionRef.optional(),
        desiredCount: z.number().int().min(0).max(5000).optional(),
      })
      .strict()
      .refine((u) => u.taskDefinition !== undefined || u.desiredCount !== undefined, 'updateService needs taskDefinition or desiredCount')
      .optional(),
  })
  .strict()
  .refine((h) => (h.startDeployment ? 1 : 0) + (h.updateService ? 1 : 0) === 1, 'a history entry needs exactly one action: startDeployment or updateService');
export type HistoryEntry = z.infer<typeof HistoryEntrySchema>;

/** Longest a drill may cover: the runaway guard's limit, and the latest `until`. */
export const MAX_DRILL_SECONDS = 30 * 86_400;

/** How EventBridge hands each alarm transition to the starter function. */
const DeliverySchema = z
  .object({
    /** Copies of every event delivered (EventBridge delivers at least once). */
    deliveries: z.number().int().min(1).max(10).default(1),
    /** Seconds from the alarm transition to the first delivery. */
    delaySeconds: z.number().min(0).max(3600).default(2),
    /** Seconds between copies of one event. */
    redeliveryIntervalSeconds: z.number().min(0).max(3600).default(0),
  })
  .strict();
export type Delivery = z.infer<typeof DeliverySchema>;
/** The delivery when a scenario says nothing: once, 2 s after the transition (EventBridge's typical delay). */
export const DEFAULT_DELIVERY: Delivery = { deliveries: 1, delaySeconds: 2, redeliveryIntervalSeconds: 0 };

/** Who does a human action, and to which service's current incident. */
const HumanActionTargetSchema = z
  .object({
    service: serviceKey,
    by: z.string().regex(/^[\w+=,.@-]{1,64}$/, 'by is a user name: letters, digits and +=,.@_-'),
    reason: z.string().max(500).optional(),
  })
  .strict();

/** A scripted human action at an offset: `tourniquet ack` or `tourniquet resolve` on the service's current incident. */
const OperatorActionSchema = z
  .object({
    at: OffsetSchema,
    ack: HumanActionTargetSchema.optional(),
    resolve: HumanActionTargetSchema.optional(),
  })
  .strict()
  .refine((a) => (a.ack ? 1 : 0) + (a.resolve ? 1 : 0) === 1, 'an operator action needs exactly one of ack or resolve');
export type OperatorAction = z.infer<typeof OperatorActionSchema>;

const ScenarioOperatorSchema = OperatorSchema.extend({
  /** Human actions at offsets, in any order (run in time order). */
  actions: z.array(OperatorActionSchema).default([]),
});

/** What one incident should look like at the end of the drill. */
const IncidentExpectationSchema = z
  .object({
    /** The service the incident belongs to (one incident per service episode). */
    service: serviceKey,
    /** Its lifecycle status at the end (docs/lifecycle.md). */
    status: IncidentStatusSchema.optional(),
    /** Alarms that must be on the incident (others may be too). */
    alarms: z.array(z.string().min(1)).optional(),
    /** Mitigation types applied, in order (ledger entries that changed the account). */
    actions: z.array(MitigationTypeSchema).optional(),
    /** A mitigation was recorded and every alarm of the incident is OK at the end. */
    restored: z.boolean().optional(),
    /** A human was paged for it. */
    escalated: z.boolean().optional(),
    /** At least this many pages on the escalation topic for it. */
    minPages: z.number().int().min(0).optional(),
  })
  .strict();
export type IncidentExpectation = z.infer<typeof IncidentExpectationSchema>;

const ScenarioObjectSchema = z
  .object({
    name: z.string().regex(/^[a-z][a-z0-9-]{0,62}$/, 'scenario names are lowercase letters, digits and -'),
    description: z.string().min(1).max(2000),
    /** The drill's first instant (ISO-8601 with offset). Offsets elsewhere count from here. */
    startsAt: z.iso.datetime({ offset: true }),
    /** Tourniquet config to drill with; relative to the scenario file. Default: the repo's tourniquet.config.json. */
    config: z.string().min(1).optional(),
    /**
     * Why the scenario drills with `config` rather than the sample: what it needs that the shipped
     * policy does not do (printed in the report's header with the computed differences). Built-in
     * scenarios that name a config must say why.
     */
    configWhy: z.string().min(1).max(300).optional(),
    /**
     * The primary alarm (of `account.alarms` or `account.compositeAlarms`, and of the config): what the single-incident
     * expectations (`expect.restored/actions/escalated/alarmAt`) are about. Every account alarm fires
     * when its health says so, primary or not.
     */
    alarm: z.string().min(1).optional(),
    /** How alarm events reach the starter function. Default: each once, 2 s after the transition. */
    delivery: DeliverySchema.optional(),
    /** Where the drill stops (an offset). Default: when nothing is running and nothing lies ahead. */
    until: OffsetSchema.optional(),
    account: z
      .object({
        appconfig: AppConfigSectionSchema,
        ecs: EcsSectionSchema,
        alarms: z.array(AlarmSectionSchema).min(1),
        /** Composite alarms over `alarms` (and each other), in CloudWatch's AlarmRule language. */
        compositeAlarms: z.array(CompositeAlarmSectionSchema).default([]),
        /** Service name → health model. */
        health: z.record(serviceKey, ServiceHealthSchema),
        /** Hosted zone, records and health checks (failover scenarios). */
        route53: Route53ScenarioSchema.optional(),
        /** An ARC cluster, its endpoints, routing controls and safety rules (ARC failover scenarios). */
        arc: ArcScenarioSchema.optional(),
        /** An Aurora cluster: instances with their roles, replica lag series, how long a failover takes (database failover scenarios). */
        database: RdsScenarioSchema.optional(),
        /** Web ACLs (flood scenarios). */
        wafv2: WafScenarioSchema.optional(),
      })
      .strict(),
    /** Failures of the simulated account's APIs (throttling, server errors, access denied, ...) the automation meets; drill/sim/faults.ts. */
    faults: z.array(faultSpecSchema(OffsetSchema, offsetSeconds)).default([]),
    /** Changes made by people or pipelines, applied through the simulated APIs at startsAt + at while the drill runs, in order. */
    history: z.array(HistoryEntrySchema).default([]),
    /** The on-call human: scripted answers to approval requests (see drill/operator.ts), pause, actions at offsets. */
    operator: ScenarioOperatorSchema.default({ approvals: [], actions: [] }),
    expect: z
      .object({
        /** The primary alarm returns to OK after Tourniquet acts (on the first incident). */
        restored: z.boolean().optional(),
        /** Mitigation types Tourniquet applies on the first incident, in order. */
        actions: z.array(MitigationTypeSchema).optional(),
        /** A human is paged for the first incident. */
        escalated: z.boolean().optional(),
        /** When the primary alarm should go to ALARM, as an offset (checked by the scenario tests and the drill). */
        alarmAt: OffsetSchema.optional(),
        /** Per-incident expectations: each must match a different incident of its service. */
        incidents: z.array(IncidentExpectationSchema).optional(),
        /** Exactly this many incidents are opened. */
        incidentCount: z.number().int().min(0).optional(),
        /** At most this many workflow executions are started. */
        maxExecutions: z.number().int().min(0).optional(),
        /**
         * How the first incident's page reached the escalation topic. `failure-net`: its workflow execution
         * ended FAILED or TIMED_OUT and the failure net's page was delivered (such an execution is then part
         * of the story, not a mismatch). `workflow`: a page carrying the incident's id (Escalate's, or a
         * status-cadence re-page) and no failure-net page.
         */
        pagedVia: z.enum(['workflow', 'failure-net']).optional(),
        /**
         * Drills with several accounts (docs/accounts.md): the functions that must assume the workload account's member
         * role with the first incident's id as session name. Every such drill also checks that no call reached the
         * workload account without that role.
         */
        assumeRoleBy: z.array(z.enum(['triage', 'mitigate', 'verify', 'readiness'])).optional(),
        /** The first incident's first page reaches the escalation topic at most this many minutes after the primary alarm fired. */
        pagedWithinMinutes: z
          .number()
          .min(0)
          .max(24 * 60)
          .optional(),
      })
      .strict(),
  })
  .strict();

/** A drill scenario; see docs/scenarios.md. */
export const ScenarioSchema = ScenarioObjectSchema.superRefine(checkConsistency);
export type Scenario = z.infer<typeof ScenarioSchema>;
/** The scenario as written in JSON (before defaults). */
export type ScenarioInput = z.input<typeof ScenarioSchema>;

/** Cross-field rules: every reference in the scenario points at something it declares. */
function checkConsistency(s: z.infer<typeof ScenarioObjectSchema>, ctx: z.RefinementCtx): void {
  // zod runs this refinement even after "continuable" shape issues (a bad offset string, say),
  // so every reference check must tolerate malformed values; shape issues are reported anyway.
  try {
    checkReferences(s, ctx);
  } catch {
    // A value too malformed to cross-check; its shape issue is already in the list.
  }
}

/** Offset in seconds, or NaN for a malformed one (already reported by the shape check). */
function seconds(offset: string): number {
  return OFFSET_PATTERN.test(offset) ? offsetSeconds(offset) : Number.NaN;
}

function checkReferences(s: z.infer<typeof ScenarioObjectSchema>, ctx: z.RefinementCtx): void {
  const issue = (p: (string | number)[], message: string) => ctx.addIssue({ code: 'custom', path: p, message });
  const { appconfig, ecs, alarms, health } = s.account;
  const flagKeys = new Set(Object.keys(appconfig.flags));
  const versionCount = appconfig.versions.length;
  const strategies = new Set([...PREDEFINED_STRATEGY_IDS, appconfig.immediateStrategy.id]);
  const taskDefinitions = new Set(ecs.taskDefinitions);
  const ecsServices = new Set(ecs.services.map((x) => x.name));

  const declared = (name: string) => alarms.some((a) => a.name === name) || s.account.compositeAlarms.some((c) => c.name === name);
  if (s.alarm !== undefined && !declared(s.alarm)) {
    issue(['alarm'], `alarm "${s.alarm}" is not declared in account.alarms or account.compositeAlarms`);
  }
  const single = [s.expect.restored, s.expect.actions, s.expect.escalated].filter((x) => x !== undefined).length;
  if (single !== 0 && single !== 3) issue(['expect'], 'restored, actions and escalated go together (the single-incident expectation): give all three or none');
  if (single === 0 && s.expect.incidents === undefined && s.expect.incidentCount === undefined) {
    issue(['expect'], 'say what should happen: restored/actions/escalated, incidents or incidentCount');
  }
  if (s.alarm === undefined) {
    if (single !== 0) issue(['expect'], 'restored, actions and escalated are about the primary alarm: name it in `alarm`');
    if (s.expect.alarmAt !== undefined) issue(['expect', 'alarmAt'], 'alarmAt is about the primary alarm: name it in `alarm`');
  }
  if (s.until !== undefined && (seconds(s.until) <= 0 || seconds(s.until) > MAX_DRILL_SECONDS))
    issue(['until'], `until must be after +00:00 and at most +${MAX_DRILL_SECONDS / 3600}:00`);
  s.operator.actions.forEach((a, i) => {
    if (seconds(a.at) < 0) issue(['operator', 'actions', i, 'at'], 'human actions happen at or after +00:00');
  });
  s.expect.incidents?.forEach((inc, i) => {
    inc.alarms?.forEach((name, j) => {
      if (!declared(name)) issue(['expect', 'incidents', i, 'alarms', j], `alarm "${name}" is not declared in account.alarms or account.compositeAlarms`);
    });
  });
  const alarmNames = new Set<string>();
  alarms.forEach((a, i) => {
    if (alarmNames.has(a.name)) issue(['account', 'alarms', i, 'name'], `duplicate alarm "${a.name}"`);
    alarmNames.add(a.name);
    if (!(a.service in health)) issue(['account', 'alarms', i, 'service'], `service "${a.service}" has no entry in account.health`);
    if (a.datapointsToAlarm !== undefined && a.datapointsToAlarm > a.evaluationPeriods) {
      issue(['account', 'alarms', i, 'datapointsToAlarm'], 'datapointsToAlarm cannot exceed evaluationPeriods');
    }
    if (a.periodSeconds * a.evaluationPeriods > 86_400) issue(['account', 'alarms', i, 'evaluationPeriods'], 'periodSeconds × evaluationPeriods must not exceed one day');
  });
  checkCompositeAlarms(s.account.compositeAlarms, alarmNames, issue);

  appconfig.versions.forEach((v, i) => {
    for (const k of Object.keys(v.values)) {
      if (!flagKeys.has(k)) issue(['account', 'appconfig', 'versions', i, 'values', k], `flag "${k}" is not declared in account.appconfig.flags`);
      if (v.withoutFlags?.includes(k)) issue(['account', 'appconfig', 'versions', i, 'values', k], `flag "${k}" is deleted in this version (withoutFlags): it can have no value`);
    }
    v.withoutFlags?.forEach((k, j) => {
      if (!flagKeys.has(k)) issue(['account', 'appconfig', 'versions', i, 'withoutFlags', j], `flag "${k}" is not declared in account.appconfig.flags`);
    });
  });
  let previousAt = -Infinity;
  appconfig.earlierDeployments.forEach((d, i) => {
    const at = ['account', 'appconfig', 'earlierDeployments', i];
    if (d.version > versionCount) issue([...at, 'version'], `version ${d.version} does not exist (${versionCount} declared)`);
    if (!strategies.has(d.strategy)) issue([...at, 'strategy'], `unknown deployment strategy "${d.strategy}"`);
    if (!(seconds(d.at) > previousAt && seconds(d.at) < seconds(appconfig.deployed.at)))
      issue([...at, 'at'], 'earlier deployments come oldest first, each before account.appconfig.deployed');
    previousAt = seconds(d.at);
  });
  if (appconfig.deployed.version > versionCount)
    issue(['account', 'appconfig', 'deployed', 'version'], `version ${appconfig.deployed.version} does not exist (${versionCount} declared)`);
  if (seconds(appconfig.deployed.at) > 0) issue(['account', 'appconfig', 'deployed', 'at'], 'the initial deployment must start at or before +00:00 (use history for later ones)');
  if (!strategies.has(appconfig.deployed.strategy)) issue(['account', 'appconfig', 'deployed', 'strategy'], `unknown deployment strategy "${appconfig.deployed.strategy}"`);

  if (taskDefinitions.size !== ecs.taskDefinitions.length) issue(['account', 'ecs', 'taskDefinitions'], 'task definitions must be unique');
  ecs.services.forEach((svc, i) => {
    if (!taskDefinitions.has(svc.taskDefinition))
      issue(['account', 'ecs', 'services', i, 'taskDefinition'], `task definition "${svc.taskDefinition}" is not in account.ecs.taskDefinitions`);
    if (seconds(svc.since) > 0) issue(['account', 'ecs', 'services', i, 'since'], 'a service must exist at or before +00:00');
  });
  if (ecsServices.size !== ecs.services.length) issue(['account', 'ecs', 'services'], 'service names must be unique');

  for (const [name, h] of Object.entries(health)) {
    h.faults.forEach((f, j) => {
      const at = ['account', 'health', name, 'faults', j];
      if (f.when.flagEnabled !== undefined && !flagKeys.has(f.when.flagEnabled))
        issue([...at, 'when', 'flagEnabled'], `flag "${f.when.flagEnabled}" is not declared in account.appconfig.flags`);
      if (f.when.flagDisabled !== undefined && !flagKeys.has(f.when.flagDisabled))
        issue([...at, 'when', 'flagDisabled'], `flag "${f.when.flagDisabled}" is not declared in account.appconfig.flags`);
      if (f.when.taskDefinitionRunning !== undefined) {
        if (!taskDefinitions.has(f.when.taskDefinitionRunning))
          issue([...at, 'when', 'taskDefinitionRunning'], `task definition "${f.when.taskDefinitionRunning}" is not in account.ecs.taskDefinitions`);
        if (!ecsServices.has(name)) issue([...at, 'when', 'taskDefinitionRunning'], `taskDefinitionRunning needs an ECS service named "${name}" in account.ecs.services`);
      }
      if (f.when.servedByCell !== undefined && !s.account.arc?.traffic?.cells.includes(f.when.servedByCell)) {
        issue([...at, 'when', 'servedByCell'], `"${f.when.servedByCell}" is not one of account.arc.traffic.cells`);
      }
      if (f.when.databaseWriter !== undefined && !s.account.database?.cluster.instances.some((i) => i.id.toLowerCase() === f.when.databaseWriter!.toLowerCase())) {
        issue([...at, 'when', 'databaseWriter'], `"${f.when.databaseWriter}" is not an instance of account.database.cluster`);
      }
      if (f.from !== undefined && f.until !== undefined && seconds(f.from) >= seconds(f.until)) issue([...at, 'until'], 'until must be later than from');
    });
  }

  let previous = 0;
  s.history.forEach((h, i) => {
    const at = seconds(h.at);
    if (at < 0) issue(['history', i, 'at'], 'history starts at +00:00; describe the past in account');
    if (at < previous) issue(['history', i, 'at'], 'history entries must be in time order');
    previous = Math.max(previous, at);
    if (h.startDeployment) {
      if (h.startDeployment.configurationVersion > versionCount)
        issue(['history', i, 'startDeployment', 'configurationVersion'], `version ${h.startDeployment.configurationVersion} does not exist (${versionCount} declared)`);
      if (h.startDeployment.strategy !== undefined && !strategies.has(h.startDeployment.strategy))
        issue(['history', i, 'startDeployment', 'strategy'], `unknown deployment strategy "${h.startDeployment.strategy}"`);
    }
    if (h.updateService) {
      const target = h.updateService.service;
      if (target === undefined && ecs.services.length !== 1) issue(['history', i, 'updateService', 'service'], 'name the service: the scenario has more than one');
      if (target !== undefined && !ecsServices.has(target)) issue(['history', i, 'updateService', 'service'], `service "${target}" is not in account.ecs.services`);
      if (h.updateService.taskDefinition !== undefined && !taskDefinitions.has(h.updateService.taskDefinition))
        issue(['history', i, 'updateService', 'taskDefinition'], `task definition "${h.updateService.taskDefinition}" is not in account.ecs.taskDefinitions`);
    }
  });
  if (s.expect.alarmAt !== undefined && seconds(s.expect.alarmAt) <= previous) {
    issue(['expect', 'alarmAt'], 'the alarm must fire after the last history entry');
  }
}

/** Composite rules parse, name only declared alarms, and never name themselves through other composites. */
function checkCompositeAlarms(
  composites: z.infer<typeof CompositeAlarmSectionSchema>[],
  metricAlarms: ReadonlySet<string>,
  issue: (p: (string | number)[], message: string) => void,
): void {
  const names = new Set(composites.map((c) => c.name));
  const children = new Map<string, string[]>();
  composites.forEach((c, i) => {
    const at = ['account', 'compositeAlarms', i];
    if (metricAlarms.has(c.name) || composites.findIndex((o) => o.name === c.name) !== i) issue([...at, 'name'], `duplicate alarm "${c.name}"`);
    let named: string[];
    try {
      named = ruleAlarmNames(parseAlarmRule(c.rule));
    } catch (e) {
      if (!(e instanceof AlarmRuleSyntaxError)) throw e;
      issue([...at, 'rule'], e.message);
      return;
    }
    if (named.length > 100) issue([...at, 'rule'], `the rule names ${named.length} alarms (CloudWatch allows 100)`);
    for (const child of named) {
      if (!metricAlarms.has(child) && !names.has(child)) issue([...at, 'rule'], `alarm "${child}" is not declared in account.alarms or account.compositeAlarms`);
    }
    children.set(c.name, named);
  });
  const cycle = findRuleCycle(children);
  if (cycle) issue(['account', 'compositeAlarms'], `composite alarms form a cycle: ${cycle.join(' → ')}`);
}

// ---- errors ----

/** One problem in a scenario, with the JSON path where it was found. */
export interface ScenarioProblem {
  readonly path: string;
  readonly message: string;
}

/** A scenario that does not parse, is inconsistent, or does not match its config; lists every problem found. */
export class ScenarioInvalidError extends Error {
  override readonly name = 'ScenarioInvalidError';
  constructor(
    readonly source: string,
    readonly problems: readonly ScenarioProblem[],
    options?: { cause?: unknown },
  ) {
    super(`${source}: ${problems.length} problem(s) in the scenario:\n${problems.map((p) => `  - ${p.path}: ${p.message}`).join('\n')}`, options);
  }
}

/** Neither a built-in scenario name nor an existing file. */
export class ScenarioNotFoundError extends Error {
  override readonly name = 'ScenarioNotFoundError';
  constructor(readonly nameOrPath: string) {
    super(
      `no built-in scenario or file "${nameOrPath}" (built-in: ${listBuiltInScenarios()
        .map((s) => s.name)
        .join(', ')})`,
    );
  }
}

const formatPath = (p: readonly PropertyKey[]): string =>
  p.length === 0
    ? '(root)'
    : p
        .map((x) => (typeof x === 'number' ? `[${x}]` : `.${String(x)}`))
        .join('')
        .replace(/^\./, '');

// ---- parsing and loading ----

/** Validates a parsed scenario object (shape and internal references, not the config). */
export function checkScenario(raw: unknown): { ok: true; scenario: Scenario } | { ok: false; problems: ScenarioProblem[] } {
  const result = ScenarioSchema.safeParse(raw);
  if (result.success) return { ok: true, scenario: result.data };
  return { ok: false, problems: result.error.issues.map((i) => ({ path: formatPath(i.path), message: i.message })) };
}

/**
 * Checks that a scenario drills the config it names. Every alarm of the account that the config
 * knows as one of a service's alarms must belong to that service (its health entry), and the AppConfig
 * IDs, flags and ECS cluster and service of each such service must be the ones the scenario declares.
 * The primary alarm, human actions and per-incident expectations must name what the config knows.
 * Account alarms the config does not know (or knows as symptom alarms) are fine: the starter reports
 * unconfigured alarms, and symptoms are evidence on their own health entries.
 */
export function checkAgainstConfig(scenario: Scenario, config: TourniquetConfig, configName = 'the config'): ScenarioProblem[] {
  const problems: ScenarioProblem[] = [];
  if (scenario.alarm !== undefined && !findAlarm(config, scenario.alarm)) {
    problems.push({ path: 'alarm', message: `alarm "${scenario.alarm}" is not configured in ${configName}` });
  }
  const services = new Map<string, ServiceConfig>();
  scenario.account.alarms.forEach((declared, i) => {
    const owner = findAlarm(config, declared.name);
    if (!owner) return;
    services.set(owner.service.name, owner.service);
    if (declared.service !== owner.service.name) {
      problems.push({ path: `account.alarms[${i}].service`, message: `${configName} maps alarm "${declared.name}" to service "${owner.service.name}", not "${declared.service}"` });
    }
  });
  for (const c of scenario.account.compositeAlarms) {
    const owner = findAlarm(config, c.name);
    if (owner) services.set(owner.service.name, owner.service);
  }
  const ac = scenario.account.appconfig;
  for (const service of services.values()) {
    const ff = service.resources.featureFlags;
    if (ff) {
      const pairs: [string, string, string][] = [
        ['account.appconfig.application.id', ac.application.id, ff.applicationId],
        ['account.appconfig.environment.id', ac.environment.id, ff.environmentId],
        ['account.appconfig.profile.id', ac.profile.id, ff.configurationProfileId],
      ];
      for (const [p, actual, expected] of pairs) {
        if (actual !== expected) problems.push({ path: p, message: `"${actual}" differs from ${configName} (service "${service.name}" uses "${expected}")` });
      }
      for (const flag of [...ff.killSwitchFlags, ...ff.degradeFlags]) {
        if (!(flag in ac.flags)) problems.push({ path: 'account.appconfig.flags', message: `flag "${flag}" of ${configName} (service "${service.name}") is missing` });
      }
    }
    const ecs = service.resources.ecs;
    if (ecs) {
      if (scenario.account.ecs.cluster !== ecs.cluster) {
        problems.push({ path: 'account.ecs.cluster', message: `"${scenario.account.ecs.cluster}" differs from ${configName} (service "${service.name}" uses "${ecs.cluster}")` });
      }
      if (!scenario.account.ecs.services.some((x) => x.name === ecs.service))
        problems.push({ path: 'account.ecs.services', message: `service "${ecs.service}" of ${configName} is missing` });
    }
  }
  for (const service of services.values()) problems.push(...arcProblems(scenario, service, configName), ...databaseProblems(scenario, service, configName));
  const configured = new Set(config.services.map((x) => x.name));
  scenario.operator.actions.forEach((a, i) => {
    const [kind, target] = a.ack ? ['ack', a.ack] : ['resolve', a.resolve!];
    if (!configured.has(target.service)) problems.push({ path: `operator.actions[${i}].${kind}.service`, message: `service "${target.service}" is not in ${configName}` });
  });
  scenario.expect.incidents?.forEach((inc, i) => {
    if (!configured.has(inc.service)) problems.push({ path: `expect.incidents[${i}].service`, message: `service "${inc.service}" is not in ${configName}` });
  });
  return dedupe(problems);
}

/** A service's `arc` config must name the scenario's cluster, its endpoints and routing controls. */
function arcProblems(scenario: Scenario, service: ServiceConfig, configName: string): ScenarioProblem[] {
  const arc = service.resources.arc;
  if (!arc) return [];
  const section = scenario.account.arc;
  if (!section) return [{ path: 'account.arc', message: `${configName} gives service "${service.name}" ARC routing controls; declare the cluster in account.arc` }];
  const prefix = `arn:aws:route53-recovery-control::${SIM_ACCOUNT}`;
  const problems: ScenarioProblem[] = [];
  const cluster = `${prefix}:cluster/${section.cluster.id}`;
  if (arc.clusterArn !== cluster)
    problems.push({ path: 'account.arc.cluster.id', message: `${configName} (service "${service.name}") names cluster ${arc.clusterArn}, the scenario declares ${cluster}` });
  const declared = new Set(section.endpoints.map((e) => e.endpoint));
  for (const e of arc.clusterEndpoints) {
    if (!declared.has(e.endpoint)) problems.push({ path: 'account.arc.endpoints', message: `endpoint ${e.endpoint} of ${configName} (service "${service.name}") is not declared` });
  }
  const controls = new Set(section.routingControls.map((c) => `${prefix}:controlpanel/${section.controlPanel.id}/routingcontrol/${c.id}`));
  for (const arn of [arc.primaryRoutingControlArn, arc.secondaryRoutingControlArn]) {
    if (!controls.has(arn)) problems.push({ path: 'account.arc.routingControls', message: `routing control ${arn} of ${configName} (service "${service.name}") is not declared` });
  }
  return problems;
}

/** A service's `database` config (cluster mode; global databases are not simulated) must name the scenario's cluster and one of its instances. */
function databaseProblems(scenario: Scenario, service: ServiceConfig, configName: string): ScenarioProblem[] {
  const database = service.resources.database;
  if (!database) return [];
  const section = scenario.account.database;
  if (!section) return [{ path: 'account.database', message: `${configName} gives service "${service.name}" an Aurora database; declare the cluster in account.database` }];
  if (database.mode !== 'cluster')
    return [{ path: 'account.database', message: `${configName} (service "${service.name}") uses ${database.mode}; the drill simulates Aurora clusters, not global databases` }];
  const problems: ScenarioProblem[] = [];
  if (database.clusterId.toLowerCase() !== section.cluster.id.toLowerCase()) {
    problems.push({
      path: 'account.database.cluster.id',
      message: `${configName} (service "${service.name}") names cluster ${database.clusterId}, the scenario declares ${section.cluster.id}`,
    });
  }
  const target = database.targetInstanceId?.toLowerCase();
  if (!section.cluster.instances.some((i) => i.id.toLowerCase() === target)) {
    problems.push({
      path: 'account.database.cluster.instances',
      message: `instance ${database.targetInstanceId ?? '(none)'} of ${configName} (service "${service.name}") is not declared`,
    });
  }
  return problems;
}

/** The same service problem found through two of its alarms is one problem. */
function dedupe(problems: ScenarioProblem[]): ScenarioProblem[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const key = `${p.path}\n${p.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** A built-in scenario as listed: its name (the file name) and description. */
export interface BuiltInScenario {
  readonly name: string;
  readonly description: string;
}

/**
 * The built-in scenarios (drill/scenarios/*.json), sorted by name. Listing does not validate:
 * a broken file still shows up, and loadScenario then says what is wrong with it.
 */
export function listBuiltInScenarios(): BuiltInScenario[] {
  if (!existsSync(BUILT_IN_SCENARIO_DIR)) return [];
  return readdirSync(BUILT_IN_SCENARIO_DIR)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => {
      let description = '';
      try {
        const raw: unknown = JSON.parse(readFileSync(path.join(BUILT_IN_SCENARIO_DIR, f), 'utf8'));
        const d = raw !== null && typeof raw === 'object' ? (raw as Record<string, unknown>)['description'] : undefined;
        if (typeof d === 'string') description = d;
      } catch {
        description = '(not valid JSON)';
      }
      return { name: f.slice(0, -'.json'.length), description };
    });
}

/** Where a built-in name or a path points; undefined when neither exists. */
export function resolveScenarioPath(nameOrPath: string): string | undefined {
  if (/^[a-z][a-z0-9-]*$/.test(nameOrPath)) {
    const builtIn = path.join(BUILT_IN_SCENARIO_DIR, `${nameOrPath}.json`);
    if (existsSync(builtIn)) return builtIn;
  }
  const file = path.resolve(nameOrPath);
  return existsSync(file) ? file : undefined;
}

/**
 * Loads a scenario by built-in name ("feature-regression") or file path, validates it and the
 * config it drills, and returns it with `config` resolved to an absolute path and AppConfig's
 * propagationSeconds defaulted from the config. Throws ScenarioInvalidError listing every problem.
 */
export function loadScenario(nameOrPath: string): Scenario {
  const file = resolveScenarioPath(nameOrPath);
  if (!file) throw new ScenarioNotFoundError(nameOrPath);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (cause) {
    throw new ScenarioInvalidError(file, [{ path: '(root)', message: `not valid JSON: ${(cause as Error).message}` }], { cause });
  }
  const checked = checkScenario(raw);
  if (!checked.ok) throw new ScenarioInvalidError(file, checked.problems);
  const scenario = checked.scenario;
  const configPath = scenario.config === undefined ? DEFAULT_CONFIG_PATH : path.resolve(path.dirname(file), scenario.config);
  let config: TourniquetConfig;
  try {
    config = parseConfig(readFileSync(configPath, 'utf8'), configPath);
  } catch (cause) {
    const detail = cause instanceof ConfigInvalidError ? cause.problems.map((p) => `${p.path}: ${p.message}`).join('; ') : (cause as Error).message;
    throw new ScenarioInvalidError(file, [{ path: 'config', message: `cannot use ${configPath}: ${detail}` }], { cause });
  }
  const problems = checkAgainstConfig(scenario, config, path.basename(configPath));
  if (problems.length > 0) throw new ScenarioInvalidError(file, problems);
  // The application's AppConfig agent polls as the config says for the services the scenario drills (the primary alarm's first).
  const drilled = [scenario.alarm, ...scenario.account.alarms.map((a) => a.name)].flatMap((name) => (name === undefined ? [] : [findAlarm(config, name)?.service]));
  const propagation = scenario.account.appconfig.propagationSeconds ?? drilled.find((svc) => svc?.resources.featureFlags)?.resources.featureFlags?.propagationSeconds ?? 45;
  return {
    ...scenario,
    config: configPath,
    account: { ...scenario.account, appconfig: { ...scenario.account.appconfig, propagationSeconds: propagation } },
  };
}
