import { Aws, Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';

import { CADENCE_SCHEDULE_MINUTES } from '../../lambdas/core/cadence.js';
import type { ServiceConfig, Severity, TourniquetConfig } from '../../lambdas/core/config.js';
import { METRIC_OUTCOMES, type MetricDimension, METRICS, METRICS_NAMESPACE, type MetricSpec, SELF_SERVICE } from '../../lambdas/core/metrics.js';
import { MITIGATION_TARGET_MINUTES } from '../../lambdas/core/severity.js';
import { CATALOGUE } from '../../lambdas/mitigations/index.js';
import type { HandlerName } from '../handlers.js';
import { selfAlarmName } from './dead-letter-alarm.js';
import type { HandlerFunction } from './handler-function.js';

/**
 * Thresholds and periods of the self-monitoring alarms (docs/observability.md explains each).
 * Everything pages the escalation topic: these are failures of the thing that is meant to page.
 */
export const SELF_MONITORING = {
  /** Period of the function, execution and throttle alarms. */
  periodMinutes: 5,
  /**
   * Errors of an event-driven function in one period that page. Retries are part of the design
   * (Task states retry `TransientAwsError` and Lambda service errors, mitigate waits out
   * `MutationInProgress`, the starter's async invocation is retried twice), so one retried error is
   * not a page; a step that keeps failing crosses 3 within minutes. A step that fails for good once
   * already escalates its incident through the Task's Catch, with the error in the page.
   */
  functionErrorThreshold: 3,
  /** A scheduled function (status cadence, readiness) pages after this many failed runs in a row: the next run is its retry. */
  scheduledRunsFailedInARow: 2,
  /**
   * Period of the open-incident-without-page alarm. The status cadence publishes the gauge every
   * 5 minutes; missing data counts as breaching, so 15 minutes means three runs in a row were
   * missing (not one late log delivery).
   */
  openIncidentsWithoutPagePeriodMinutes: 15,
} as const;

/** What a failure of each function means for the people Tourniquet serves: the first line of its alarm. */
const FAILURE_MEANS: Readonly<Record<HandlerName, string>> = {
  'start-execution': 'alarms may not be turning into incidents (events that still fail after retries land in the intake dead-letter queue)',
  'approval-endpoint': 'approval links may not work (approvers can answer with npx tourniquet approve|reject instead)',
  'status-cadence': 'open incidents may get no scheduled status updates, re-pages of unacknowledged escalations or lease checks',
  readiness: 'the readiness verdicts (MitigationReady) are stale: nobody learns that a mitigation stopped being able to run',
  'open-incident': 'incidents may not be opened or joined',
  notify: 'status updates (Investigating, Identified, Mitigated, Resolved) may not be sent',
  triage: 'incidents cannot be triaged, so no mitigation is chosen (they escalate)',
  decide: 'no mitigation can be chosen (incidents escalate)',
  mitigate: 'mitigations may not be applied, or only partly',
  'request-approval': 'approval requests may not reach the approvers (incidents that need one escalate)',
  verify: 'applied mitigations cannot be verified (incidents escalate)',
  escalate: 'pages to humans may not be sent (the failure net pages directly when the workflow then fails)',
  'close-incident': 'incidents may stay recorded as open, holding their service lock',
};

/** One Tourniquet function to watch. */
export interface MonitoredFunction {
  readonly fn: HandlerFunction;
  /**
   * Minutes between the schedule's invocations: a scheduled function pages after
   * {@link SELF_MONITORING.scheduledRunsFailedInARow} failed runs in a row instead of on an error count.
   * @default - event-driven: pages on {@link SELF_MONITORING.functionErrorThreshold} errors in a period
   */
  readonly everyMinutes?: number;
}

/** A dead-letter queue of the stack and the alarm that already pages for it (every queue has exactly one). */
export interface MonitoredQueue {
  /** Short name for the dashboard ("intake"). */
  readonly label: string;
  readonly queue: sqs.IQueue;
  readonly alarm: cloudwatch.IAlarm;
}

export interface ObservabilityProps {
  /** The config the stack is built from: its services, their alarms' severities and configured mitigations name the dashboard's series. */
  readonly config: TourniquetConfig;
  /** Every Tourniquet function: each gets an Errors and a Throttles alarm. */
  readonly functions: readonly MonitoredFunction[];
  /** The incident workflow: alarms on failed, timed-out and aborted executions. */
  readonly stateMachine: sfn.IStateMachine;
  /** Every dead-letter queue of the stack with its alarm: shown on the dashboard and its alarm status. */
  readonly deadLetterQueues: readonly MonitoredQueue[];
  /** Where every self-monitoring alarm pages. */
  readonly escalationTopic: sns.ITopic;
}

/**
 * What Tourniquet is doing, and whether Tourniquet itself is healthy: a CloudWatch dashboard over
 * the `Tourniquet` metrics (lambdas/core/metrics.ts) and the AWS metrics of its own resources, and
 * the self-monitoring alarms that page the escalation topic when a function errs or is throttled,
 * an execution fails, times out or is aborted, or an incident stays open without a page.
 *
 * The dashboard asks for explicit series: every dimension value is known at synth time (the
 * configured services, their alarms' severities, their configured mitigations, the outcome values
 * of METRIC_OUTCOMES), so no SEARCH expression is needed and every series is named in the template.
 */
export class Observability extends Construct {
  public readonly dashboard: cloudwatch.Dashboard;
  /** Errors and Throttles alarms per function, by handler. */
  public readonly functionAlarms: Readonly<Partial<Record<HandlerName, { readonly errors: cloudwatch.Alarm; readonly throttles: cloudwatch.Alarm }>>>;
  public readonly executionsFailedAlarm: cloudwatch.Alarm;
  public readonly executionsTimedOutAlarm: cloudwatch.Alarm;
  public readonly executionsAbortedAlarm: cloudwatch.Alarm;
  /** An incident open for 24 h without a page, or the status cadence silent (missing data breaches). */
  public readonly openIncidentWithoutPageAlarm: cloudwatch.Alarm;
  /** Every self-monitoring alarm, the dead-letter queues' included. */
  public readonly alarms: readonly cloudwatch.IAlarm[];

  constructor(scope: Construct, id: string, props: ObservabilityProps) {
    super(scope, id);
    const { config, stateMachine } = props;
    const stage = config.stage;
    const period = Duration.minutes(SELF_MONITORING.periodMinutes);
    const page = new cloudwatchActions.SnsAction(props.escalationTopic);
    const alarm = (alarmId: string, alarmProps: cloudwatch.AlarmProps, okAction: boolean): cloudwatch.Alarm => {
      const created = new cloudwatch.Alarm(this, alarmId, alarmProps);
      created.addAlarmAction(page);
      if (okAction) created.addOkAction(page);
      return created;
    };

    // --- Self-monitoring alarms ---------------------------------------------------------------
    const functionAlarms: Partial<Record<HandlerName, { errors: cloudwatch.Alarm; throttles: cloudwatch.Alarm }>> = {};
    for (const { fn, everyMinutes } of props.functions) {
      const name = fn.handlerName;
      const logs = `Read its log group ${fn.logGroup.logGroupName} (Logs Insights: filter level = "ERROR")`;
      const errors =
        everyMinutes === undefined
          ? alarm(
              `${name}Errors`,
              {
                alarmName: selfAlarmName(stage, `${name}-errors`),
                alarmDescription:
                  `Tourniquet's ${name} function failed ${SELF_MONITORING.functionErrorThreshold} or more times in ${SELF_MONITORING.periodMinutes} minutes: ${FAILURE_MEANS[name]}. ` +
                  `${logs}, fix the cause (permissions, a changed resource, a bug), and check open incidents by hand until it is quiet. OK when a period passes with fewer errors.`,
                metric: fn.function.metricErrors({ period, statistic: cloudwatch.Stats.SUM }),
                threshold: SELF_MONITORING.functionErrorThreshold,
                comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                evaluationPeriods: 1,
                treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
              },
              true,
            )
          : alarm(`${name}Errors`, scheduledErrorsAlarmProps(stage, fn, everyMinutes, logs), true);
      const throttles = alarm(
        `${name}Throttles`,
        {
          alarmName: selfAlarmName(stage, `${name}-throttles`),
          alarmDescription:
            `Lambda refused to run Tourniquet's ${name} function (throttled) in the last ${SELF_MONITORING.periodMinutes} minutes: ${FAILURE_MEANS[name]}. ` +
            'The account or the function ran out of concurrency, which an incident can cause. Check the account-level ConcurrentExecutions metric and the functions ' +
            'with reserved concurrency, and raise the quota or reserve concurrency for Tourniquet. OK when a period passes without a throttle.',
          metric: fn.function.metricThrottles({ period, statistic: cloudwatch.Stats.SUM }),
          threshold: 1,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          evaluationPeriods: 1,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        },
        true,
      );
      functionAlarms[name] = { errors, throttles };
    }
    this.functionAlarms = functionAlarms;

    const executionAlarm = (alarmId: string, nameSuffix: string, what: string, metric: cloudwatch.IMetric, todo: string) =>
      alarm(
        alarmId,
        {
          alarmName: selfAlarmName(stage, `executions-${nameSuffix}`),
          alarmDescription: `An incident workflow execution ${what} (state machine ${stateMachine.stateMachineArn}). ${todo}`,
          metric,
          threshold: 1,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          evaluationPeriods: 1,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        },
        false,
      );
    const findIt = 'The failure net has paged each one with its error and recorded its incident as ESCALATED; this alarm is the independent backstop.';
    this.executionsFailedAlarm = executionAlarm(
      'ExecutionsFailed',
      'failed',
      'failed',
      stateMachine.metricFailed({ period, statistic: cloudwatch.Stats.SUM }),
      `${findIt} Open the state machine's failed executions in the Step Functions console, read the failing state's error, and handle the incident by hand.`,
    );
    this.executionsTimedOutAlarm = executionAlarm(
      'ExecutionsTimedOut',
      'timed-out',
      'timed out',
      stateMachine.metricTimedOut({ period, statistic: cloudwatch.Stats.SUM }),
      `${findIt} An incident outlived the workflow's time limit: check the service and the incident's record, and resolve or escalate it by hand.`,
    );
    this.executionsAbortedAlarm = executionAlarm(
      'ExecutionsAborted',
      'aborted',
      'was aborted',
      stateMachine.metricAborted({ period, statistic: cloudwatch.Stats.SUM }),
      `${findIt} Someone or something stopped it: confirm it was deliberate (CloudTrail StopExecution) and that its incident is in human hands.`,
    );

    this.openIncidentWithoutPageAlarm = alarm(
      'OpenIncidentWithoutPage',
      {
        alarmName: selfAlarmName(stage, 'open-incident-without-page'),
        alarmDescription:
          'An incident has been open (not RESOLVED) for 24 hours without a page to the escalation topic, or the status cadence stopped reporting: ' +
          `missing data counts as breaching because the cadence publishes OpenIncidentsWithoutPage every ${CADENCE_SCHEDULE_MINUTES} minutes, ` +
          'and a silent cadence means no open incident gets updates or re-pages at all. What to do: list the open incidents (npx tourniquet incidents --active --stack <stack name>) ' +
          "and take, resolve or acknowledge each; if none is that old, check the status-cadence function's errors and its schedule rule. " +
          'Right after the first deploy it can fire once until the first cadence run reports.',
        metric: tourniquetMetric(
          METRICS.openIncidentsWithoutPage,
          { service: SELF_SERVICE },
          { statistic: cloudwatch.Stats.MAXIMUM, period: Duration.minutes(SELF_MONITORING.openIncidentsWithoutPagePeriodMinutes) },
        ),
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.BREACHING,
      },
      true,
    );

    this.alarms = [
      ...Object.values(functionAlarms).flatMap((a) => [a.errors, a.throttles]),
      this.executionsFailedAlarm,
      this.executionsTimedOutAlarm,
      this.executionsAbortedAlarm,
      this.openIncidentWithoutPageAlarm,
      ...props.deadLetterQueues.map((q) => q.alarm),
    ];

    // --- Dashboard ----------------------------------------------------------------------------
    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      // Dashboards are global to the account: the region keeps two regions' stacks of one stage apart.
      dashboardName: `Tourniquet-${stage}-${Aws.REGION}`,
      defaultInterval: Duration.days(7),
    });
    const services = config.services;
    const hour = Duration.hours(1);
    const graph = (title: string, left: cloudwatch.IMetric[], extra: Partial<cloudwatch.GraphWidgetProps> = {}) =>
      // No widget-level statistic: it would override every series rendered without one (CDK leaves out `Average`).
      new cloudwatch.GraphWidget({ title, left, width: 8, height: 6, period: hour, ...extra });
    const perServiceSeverity = (spec: MetricSpec, statistic: string, suffix = '') =>
      services.flatMap((s) =>
        severitiesOf(s).map((severity) => tourniquetMetric(spec, { service: s.name, severity }, { statistic, period: hour, label: `${s.name} ${severity}${suffix}` })),
      );
    const perServiceMitigation = (spec: MetricSpec, statistic: string, period: Duration = hour) =>
      services.flatMap((s) => mitigationsOf(s).map((m) => tourniquetMetric(spec, { service: s.name, mitigation: m }, { statistic, period, label: `${s.name} ${m}` })));
    const timeWidget = (title: string, spec: MetricSpec, annotate: boolean) =>
      graph(title, [...perServiceSeverity(spec, cloudwatch.Stats.AVERAGE, ' avg'), ...perServiceSeverity(spec, cloudwatch.Stats.p(90), ' p90')], {
        leftYAxis: { min: 0, label: 'seconds', showUnits: false },
        ...(annotate ? { leftAnnotations: (['SEV1', 'SEV2'] as const).map((sev) => ({ value: MITIGATION_TARGET_MINUTES[sev] * 60, label: `${sev} target` })) } : {}),
      });
    const gauges = [
      ...[METRICS.openIncidents, METRICS.approvalsWaiting, METRICS.openIncidentsWithoutPage].map((spec) =>
        tourniquetMetric(spec, { service: SELF_SERVICE }, { statistic: cloudwatch.Stats.MAXIMUM, period, label: spec.name }),
      ),
      // A chat copy that failed: the email went out, the channel missed it (docs/chat.md).
      tourniquetMetric(METRICS.chatPublishFailures, { service: SELF_SERVICE }, { statistic: cloudwatch.Stats.SUM, period, label: 'chat copies failed' }),
    ];
    // Approvals of each service summed over its mitigations: one line per service and step.
    const approvals = services.flatMap((s, si) =>
      mitigationsOf(s).length === 0
        ? []
        : [
            sumOf(
              `a${si}r`,
              `${s.name} requested`,
              mitigationsOf(s).map((m) => tourniquetMetric(METRICS.approvalsRequested, { service: s.name, mitigation: m }, { period: hour })),
            ),
            ...METRIC_OUTCOMES.approvalsDecided.map((outcome, oi) =>
              sumOf(
                `a${si}o${oi}`,
                `${s.name} ${outcome}`,
                mitigationsOf(s).map((m) => tourniquetMetric(METRICS.approvalsDecided, { service: s.name, mitigation: m, outcome }, { period: hour })),
              ),
            ),
          ],
    );
    const learningLoop = services.flatMap((s) =>
      mitigationsOf(s).flatMap((m) => {
        const at = (spec: MetricSpec, label: string, outcome?: string) =>
          tourniquetMetric(
            spec,
            { service: s.name, mitigation: m, ...(outcome ? { outcome } : {}) },
            { statistic: cloudwatch.Stats.SUM, period: Duration.days(1), label: `${s.name} ${m}: ${label}` },
          );
        return [
          at(METRICS.mitigationsApplied, 'tried (applied)'),
          ...METRIC_OUTCOMES.mitigationOutcome.map((outcome) => at(METRICS.mitigationOutcome, outcome, outcome)),
          at(METRICS.mitigationsReverted, 'reverted'),
          at(METRICS.mitigationsFailed, 'failed'),
        ];
      }),
    );
    const fnMetric = (metric: 'errors' | 'throttles') =>
      props.functions.map(({ fn }) =>
        metric === 'errors' ? fn.function.metricErrors({ period, label: fn.handlerName }) : fn.function.metricThrottles({ period, label: fn.handlerName }),
      );

    this.dashboard.addWidgets(
      new cloudwatch.TextWidget({
        width: 24,
        height: 2,
        markdown:
          `# Tourniquet (${stage})\n` +
          'What Tourniquet did (namespace `Tourniquet`, metrics in docs/observability.md) and whether Tourniquet itself is healthy. ' +
          'Every alarm below pages the escalation topic; its description says what to do. Built by the Tourniquet stack: edit the CDK code, not this dashboard.',
      }),
    );
    this.dashboard.addWidgets(new cloudwatch.AlarmStatusWidget({ title: 'Self-monitoring alarms (page the escalation topic)', alarms: [...this.alarms], width: 24, height: 4 }));
    this.dashboard.addWidgets(
      graph('Open incidents and approvals waiting', gauges, { period, leftYAxis: { min: 0, showUnits: false } }),
      graph('Incidents opened per service and severity', perServiceSeverity(METRICS.incidentsOpened, cloudwatch.Stats.SUM), { stacked: true }),
      graph('Escalations to a human per service and severity', perServiceSeverity(METRICS.escalations, cloudwatch.Stats.SUM), { stacked: true }),
    );
    this.dashboard.addWidgets(
      timeWidget('MTTD: impact start → alarm (seconds)', METRICS.mttd, false),
      timeWidget('MTTM: declared → restored (seconds)', METRICS.mttm, true),
      timeWidget('MTTR: impact start → restored (seconds)', METRICS.mttr, false),
    );
    this.dashboard.addWidgets(
      graph('Mitigations applied', perServiceMitigation(METRICS.mitigationsApplied, cloudwatch.Stats.SUM), { stacked: true }),
      graph('Mitigations failed (the AWS call failed)', perServiceMitigation(METRICS.mitigationsFailed, cloudwatch.Stats.SUM), { stacked: true }),
      graph('Mitigations reverted', perServiceMitigation(METRICS.mitigationsReverted, cloudwatch.Stats.SUM), { stacked: true }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.TableWidget({
        title: 'Learning loop: per service and mitigation, how often tried, effective, ineffective, escalated, reverted, failed (sum over the time range)',
        metrics: learningLoop,
        summary: { columns: [cloudwatch.TableSummaryColumn.SUM], hideNonSummaryColumns: true, sticky: true },
        width: 12,
        height: 8,
      }),
      graph(
        'Mitigation outcomes (verification verdicts)',
        services.flatMap((s) =>
          mitigationsOf(s).flatMap((m) =>
            METRIC_OUTCOMES.mitigationOutcome.map((outcome) =>
              tourniquetMetric(
                METRICS.mitigationOutcome,
                { service: s.name, mitigation: m, outcome },
                { statistic: cloudwatch.Stats.SUM, period: hour, label: `${s.name} ${m} ${outcome}` },
              ),
            ),
          ),
        ),
        { stacked: true, width: 12, height: 8 },
      ),
    );
    this.dashboard.addWidgets(
      graph('Approvals requested and decided', approvals),
      graph(
        'Brake events (a change held back)',
        services.flatMap((s) =>
          METRIC_OUTCOMES.brakeEvents.map((outcome) =>
            tourniquetMetric(METRICS.brakeEvents, { service: s.name, outcome }, { statistic: cloudwatch.Stats.SUM, period: hour, label: `${s.name} ${outcome}` }),
          ),
        ),
        { stacked: true },
      ),
      graph('Readiness: 1 = every target of the mitigation could act now', perServiceMitigation(METRICS.mitigationReady, cloudwatch.Stats.MINIMUM, readinessPeriod(config)), {
        period: readinessPeriod(config),
        leftYAxis: { min: 0, max: 1, showUnits: false },
      }),
    );
    this.dashboard.addWidgets(
      graph('Automation: function errors', fnMetric('errors'), { period, leftYAxis: { min: 0, showUnits: false } }),
      graph('Automation: function throttles', fnMetric('throttles'), { period, leftYAxis: { min: 0, showUnits: false } }),
      graph(
        'Automation: workflow executions',
        [
          stateMachine.metricStarted({ period, label: 'started' }),
          stateMachine.metricFailed({ period, label: 'failed' }),
          stateMachine.metricTimedOut({ period, label: 'timed out' }),
          stateMachine.metricAborted({ period, label: 'aborted' }),
        ],
        { period, leftYAxis: { min: 0, showUnits: false } },
      ),
    );
    this.dashboard.addWidgets(
      graph(
        'Automation: dead-letter queues (messages nobody was told about)',
        props.deadLetterQueues.map((q) => q.queue.metricApproximateNumberOfMessagesVisible({ period, statistic: cloudwatch.Stats.MAXIMUM, label: q.label })),
        { period, width: 24, height: 4, leftYAxis: { min: 0, showUnits: false } },
      ),
    );
  }
}

/** Errors alarm of a scheduled function: failed runs in a row (the next run is the retry of a failed one). */
function scheduledErrorsAlarmProps(stage: string, fn: HandlerFunction, everyMinutes: number, logs: string): cloudwatch.AlarmProps {
  const name = fn.handlerName;
  // One datapoint per run; CloudWatch evaluates at most one day of data.
  const runs = Math.max(1, Math.min(SELF_MONITORING.scheduledRunsFailedInARow, Math.floor((24 * 60) / everyMinutes)));
  return {
    alarmName: selfAlarmName(stage, `${name}-errors`),
    alarmDescription:
      `Tourniquet's scheduled ${name} function failed ${runs === 1 ? 'its last run' : `${runs} runs in a row`} (it runs every ${everyMinutes} minutes): ${FAILURE_MEANS[name]}. ` +
      `${logs}, fix the cause, and watch the next run. OK when a run succeeds.`,
    metric: fn.function.metricErrors({ period: Duration.minutes(everyMinutes), statistic: cloudwatch.Stats.SUM }),
    threshold: 1,
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    evaluationPeriods: runs,
    datapointsToAlarm: runs,
    treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
  };
}

/**
 * One Tourniquet metric with exactly the dimension set it is published with: CloudWatch treats
 * every dimension combination as its own metric, so a missing or extra dimension is an empty graph.
 */
export function tourniquetMetric(
  spec: MetricSpec,
  dimensions: Readonly<Partial<Record<MetricDimension, string>>>,
  options: { readonly statistic?: string; readonly period?: Duration; readonly label?: string } = {},
): cloudwatch.Metric {
  const given = Object.keys(dimensions).sort();
  const expected = [...spec.dimensions].sort();
  if (given.join() !== expected.join()) throw new Error(`metric ${spec.name} is published with dimensions ${expected.join(', ')}, not ${given.join(', ')}`);
  return new cloudwatch.Metric({
    namespace: METRICS_NAMESPACE,
    metricName: spec.name,
    dimensionsMap: { ...dimensions } as Record<string, string>,
    statistic: options.statistic ?? cloudwatch.Stats.SUM,
    period: options.period ?? Duration.minutes(5),
    label: options.label,
  });
}

/** The sum of several series as one line (missing datapoints count as nothing, not as a gap in the sum). */
function sumOf(idPrefix: string, label: string, metrics: readonly cloudwatch.IMetric[]): cloudwatch.IMetric {
  const usingMetrics = Object.fromEntries(metrics.map((m, i) => [`${idPrefix}m${i}`, m]));
  return new cloudwatch.MathExpression({ expression: `SUM([${Object.keys(usingMetrics).join(',')}])`, usingMetrics, label, period: Duration.hours(1) });
}

/** The severities a service's incidents can have: its default and its alarms' own (severity.ts `resolveSeverity`). */
export function severitiesOf(service: ServiceConfig): Severity[] {
  const all = new Set<Severity>([service.severity, ...service.alarms.flatMap((a) => (a.severity ? [a.severity] : []))]);
  return [...all].sort();
}

/** The catalogued mitigations a service's config gives something to act on: the only `mitigation` values its metrics can carry. */
export function mitigationsOf(service: ServiceConfig): string[] {
  return CATALOGUE.filter((m) => m.configured(service)).map((m) => m.type);
}

/** Readiness runs every `readinessCheckMinutes`: one datapoint per run. */
function readinessPeriod(config: TourniquetConfig): Duration {
  return Duration.minutes(config.readinessCheckMinutes);
}
