/**
 * The simulated AWS account for drills: real SDK v3 clients answered by stateful, clock-driven
 * simulations of AppConfig, ECS, CloudWatch alarms and SNS over a health model.
 */
export { type AccountSnapshot, type AppliedChange, HistoryApplyError, type SimClients, SimulatedAccount, type SimulatedAccountOptions } from './account.js';
export { type AlarmRule, AlarmRuleSyntaxError, evaluateAlarmRule, parseAlarmRule, ruleAlarmNames, type RuleState } from './alarm-rule.js';
export { type AppConfigSnapshot, FEATURE_FLAGS_TYPE, PREDEFINED_STRATEGIES, SimAppConfig, type SimAppConfigOptions, type StrategySpec } from './appconfig.js';
export { type ArcScenario, type ArcScenarioInput, ArcScenarioSchema, type ArcSnapshot, SimArc, type SimArcOptions } from './arc.js';
export { ClockError, VirtualClock } from './clock.js';
export {
  AlarmQueryError,
  type AlarmSpec,
  type AlarmStateChangeEvent,
  type AlarmStateRecord,
  type CloudWatchSnapshot,
  type CompositeAlarmSpec,
  type CompositeAlarmStateChangeEvent,
  cwTimestamp,
  type Datapoint,
  javaDouble,
  longDate,
  type MetricAlarmStateChangeEvent,
  reasonDate,
  type SimAlarmState,
  SimCloudWatch,
  type SimCloudWatchOptions,
} from './cloudwatch.js';
export { type EcsSnapshot, SimEcs, type SimEcsOptions } from './ecs.js';
export { buildFlagDocument, checkFlagDocument, type FeatureFlagsDocument, FeatureFlagsDocumentSchema, flagStates } from './flags.js';
export { type Fault, type FaultCondition, HealthModel, type HealthSources, type ServiceHealth, UnknownServiceError } from './health.js';
export { SIM_ACCOUNT, SIM_REGION } from './ids.js';
export { clusterArn, type MetricQuery, type RdsScenario, type RdsScenarioInput, RdsScenarioSchema, type RdsSnapshot, SimRds, type SimRdsOptions } from './rds.js';
export { MAX_MESSAGE_BYTES, MAX_SUBJECT_CHARS, type PublishedMessage, SimSns, type SimSnsOptions } from './sns.js';
export { type CallOrigin, type SimCall, type SimServiceName, UnsupportedCommandError } from './wire.js';
