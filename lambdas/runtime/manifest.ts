import { READINESS_PREFIX } from '../store/keys.js';
import type { Env } from './env.js';

/**
 * The per-function manifest: for every Lambda function of the stack, the environment variables its
 * handler reads and the access its code needs. The handler reads its variables with
 * `readEnvFor(<name>)` (lambdas/runtime/env.ts) and `lib/` sets exactly those variables and grants
 * exactly this access from the same entry, so the two cannot drift apart. CDK-free: the handlers
 * bundle it.
 */

/** The DynamoDB item actions the incident store sends (a test keeps this in step with the store). */
export type TableAction = 'dynamodb:GetItem' | 'dynamodb:Query' | 'dynamodb:PutItem' | 'dynamodb:UpdateItem' | 'dynamodb:DeleteItem' | 'dynamodb:ConditionCheckItem';

/** The SNS topics of the stack. */
export type TopicName = 'status' | 'escalation' | 'approvers' | 'chat';

/** Groups of each catalogue module's IAM statements (see MitigationPermissions). */
export type CatalogueGroup = 'evidence' | 'read' | 'settle' | 'write';

export interface FunctionManifest {
  /** Environment variables the handler reads (and the only ones the stack sets, besides Powertools'). */
  readonly env: readonly (keyof Env)[];
  /** Item actions on the incident table (base table only). */
  readonly table: readonly TableAction[];
  /** Topics it publishes to. @default none */
  readonly publishes?: readonly TopicName[];
  /** The catalogue's statement groups, for the configured resources. @default none */
  readonly catalogue?: readonly CatalogueGroup[];
  /** Describes the configured alarms (and composite alarms on `*` when the config marks one). @default false */
  readonly readsAlarms?: boolean;
  /** Reads alarm metrics with GetMetricData (no resource-level permissions: granted on `*`). @default false */
  readonly readsAlarmMetrics?: boolean;
  /** Only items whose partition key starts with this (IAM condition `dynamodb:LeadingKeys`). @default every item */
  readonly tableKeyPrefix?: string;
  /** Queries the episode index (GSI1) by name. @default false */
  readonly queriesEpisodeIndex?: boolean;
  /** Reads the approval signing secret. @default false */
  readonly readsApprovalSecret?: boolean;
  /** What it does to the incident state machine. @default nothing */
  readonly stateMachine?: 'start-execution' | 'send-task-success';
}

/** Every function of the stack, by handler name (`lambdas/handlers/<name>.ts`). */
export const FUNCTION_MANIFEST = {
  'start-execution': {
    env: ['TABLE_NAME', 'STATE_MACHINE_ARN', 'ESCALATION_TOPIC_ARN', 'CHAT_TOPIC_ARN'],
    table: ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
    publishes: ['escalation', 'chat'],
    queriesEpisodeIndex: true,
    stateMachine: 'start-execution',
  },
  'approval-endpoint': {
    env: ['TABLE_NAME', 'APPROVAL_SECRET_ARN'],
    table: ['dynamodb:GetItem', 'dynamodb:UpdateItem', 'dynamodb:PutItem'],
    readsApprovalSecret: true,
    stateMachine: 'send-task-success',
  },
  'status-cadence': {
    env: ['TABLE_NAME', 'STATUS_TOPIC_ARN', 'ESCALATION_TOPIC_ARN', 'CHAT_TOPIC_ARN'],
    table: ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:UpdateItem', 'dynamodb:PutItem'],
    publishes: ['status', 'escalation', 'chat'],
    queriesEpisodeIndex: true,
  },
  'open-incident': { env: ['TABLE_NAME'], table: ['dynamodb:GetItem', 'dynamodb:UpdateItem'] },
  // GetItem and Query: the Resolved update carries the postmortem draft, rendered from the incident, its timeline and its actions.
  notify: {
    env: ['TABLE_NAME', 'STATUS_TOPIC_ARN', 'CHAT_TOPIC_ARN'],
    table: ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:UpdateItem', 'dynamodb:PutItem'],
    publishes: ['status', 'chat'],
  },
  // GetMetricData: where the breaching run that led to the alarm began (impact start, MTTD).
  triage: { env: ['TABLE_NAME'], table: ['dynamodb:GetItem', 'dynamodb:UpdateItem', 'dynamodb:PutItem'], catalogue: ['evidence'], readsAlarms: true, readsAlarmMetrics: true },
  decide: { env: ['TABLE_NAME'], table: ['dynamodb:Query', 'dynamodb:UpdateItem', 'dynamodb:PutItem'] },
  mitigate: {
    env: ['TABLE_NAME', 'DEPLOYMENT_STRATEGY_ID'],
    table: ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:ConditionCheckItem'],
    // Write is withheld in a dry run (lib decides: a dry run gets no means to change anything).
    catalogue: ['read', 'write'],
  },
  'request-approval': {
    env: ['TABLE_NAME', 'STATUS_TOPIC_ARN', 'ESCALATION_TOPIC_ARN', 'CHAT_TOPIC_ARN', 'APPROVERS_TOPIC_ARN', 'APPROVER_EMAILS', 'APPROVAL_SECRET_ARN', 'APPROVAL_ENDPOINT_URL'],
    // Create the approval in a transaction that checks the incident exists, supersede older requests, timeline.
    table: ['dynamodb:ConditionCheckItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:Query'],
    publishes: ['status', 'escalation', 'chat', 'approvers'],
    readsApprovalSecret: true,
  },
  verify: { env: ['TABLE_NAME'], table: ['dynamodb:GetItem', 'dynamodb:UpdateItem', 'dynamodb:PutItem'], catalogue: ['settle'], readsAlarms: true },
  escalate: {
    env: ['TABLE_NAME', 'STATUS_TOPIC_ARN', 'ESCALATION_TOPIC_ARN', 'CHAT_TOPIC_ARN'],
    table: ['dynamodb:GetItem', 'dynamodb:UpdateItem', 'dynamodb:PutItem'],
    publishes: ['status', 'escalation', 'chat'],
  },
  readiness: {
    env: ['TABLE_NAME', 'STATUS_TOPIC_ARN', 'DEPLOYMENT_STRATEGY_ID'],
    // Its last verdict per target, and nothing else of the table.
    table: ['dynamodb:GetItem', 'dynamodb:PutItem'],
    tableKeyPrefix: READINESS_PREFIX,
    publishes: ['status'],
    catalogue: ['read'],
  },
  'close-incident': { env: ['TABLE_NAME'], table: ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:UpdateItem', 'dynamodb:PutItem'] },
} as const satisfies Readonly<Record<string, FunctionManifest>>;

export type ManifestedFunction = keyof typeof FUNCTION_MANIFEST;

/** The environment variables of one function, as its manifest names them. */
export type EnvOf<F extends ManifestedFunction> = Pick<Env, (typeof FUNCTION_MANIFEST)[F]['env'][number]>;
