/**
 * The simulated AWS account for drills: real SDK v3 clients answered by stateful, clock-driven
 * simulations of AppConfig, ECS, CloudWatch alarms and SNS over a health model.
 */
export { SimulatedAccount, HistoryApplyError, type AccountSnapshot, type AppliedChange, type SimClients, type SimulatedAccountOptions } from './account.js';
export { SimArc, ArcScenarioSchema, type ArcScenario, type ArcScenarioInput, type ArcSnapshot, type SimArcOptions } from './arc.js';
export { SimRds, RdsScenarioSchema, clusterArn, type MetricQuery, type RdsScenario, type RdsScenarioInput, type RdsSnapshot, type SimRdsOptions } from './rds.js';
export { SimAppConfig, PREDEFINED_STRATEGIES, FEATURE_FLAGS_TYPE, type AppConfigSnapshot, type SimAppConfigOptions, type StrategySpec } from './appconfig.js';
export { VirtualClock, ClockError } from './clock.js';
export {
  SimCloudWatch,
  AlarmQueryError,
  cwTimestamp,
  javaDouble,
  longDate,
  reasonDate,
  type AlarmSpec,
  type AlarmStateChangeEvent,
  type AlarmStateRecord,
  type CloudWatchSnapshot,
  type CompositeAlarmSpec,
  type CompositeAlarmStateChangeEvent,
  type Datapoint,
  type MetricAlarmStateChangeEvent,
  type SimAlarmState,
  type SimCloudWatchOptions,
} from './cloudwatch.js';
export { AlarmRuleSyntaxError, evaluateAlarmRule, parseAlarmRule, ruleAlarmNames, type AlarmRule, type RuleState } from './alarm-rule.js';
export { SimEcs, type EcsSnapshot, type SimEcsOptions } from './ecs.js';
export { buildFlagDocument, checkFlagDocument, flagStates, FeatureFlagsDocumentSchema, type FeatureFlagsDocument } from './flags.js';
export { HealthModel, UnknownServiceError, type Fault, type FaultCondition, type HealthSources, type ServiceHealth } from './health.js';
export { SIM_ACCOUNT, SIM_REGION } from './ids.js';
export { SimSns, MAX_MESSAGE_BYTES, MAX_SUBJECT_CHARS, type PublishedMessage, type SimSnsOptions } from './sns.js';
export { UnsupportedCommandError, type CallOrigin, type SimCall, type SimServiceName } from './wire.js';
