import { beforeAll, describe, expect, it } from '@jest/globals';
import type { Template } from 'aws-cdk-lib/assertions';

import { CADENCE_SCHEDULE_MINUTES } from '../../lambdas/core/cadence.js';
import { METRIC_OUTCOMES, METRICS, METRICS_NAMESPACE, SELF_SERVICE } from '../../lambdas/core/metrics.js';
import { mitigationsOf, SELF_MONITORING, tourniquetMetric } from '../../lib/constructs/observability.js';
import { HANDLER_NAMES } from '../../lib/handlers.js';
import { type CfnResource, configWith, functionsByHandler, render, sampleConfig, templateFor } from './support.js';

interface Widget {
  type: string;
  properties: { title?: string; metrics?: unknown[][]; alarms?: string[]; stat?: string; markdown?: string };
}

/** The dashboard body with its tokens rendered as `${...}`, parsed. */
function dashboardOf(template: Template): { name: string; widgets: Widget[] } {
  const dashboards = Object.values(template.findResources('AWS::CloudWatch::Dashboard') as Record<string, CfnResource>);
  expect(dashboards).toHaveLength(1);
  return { name: render(dashboards[0]!.Properties.DashboardName), widgets: (JSON.parse(render(dashboards[0]!.Properties.DashboardBody)) as { widgets: Widget[] }).widgets };
}

const byTitle = (widgets: Widget[], title: string): Widget => {
  const found = widgets.filter((w) => w.properties.title?.startsWith(title));
  expect(found.map((w) => w.properties.title)).toHaveLength(1);
  return found[0]!;
};

/** One series of a widget: namespace, name, dimensions, and its options (`{ label, stat, ... }`), or a math expression. */
interface Series {
  namespace?: string;
  name?: string;
  dimensions: Record<string, string>;
  options: Record<string, any>;
}
function seriesOf(widget: Widget): Series[] {
  return (widget.properties.metrics ?? []).map((row) => {
    const last = row[row.length - 1];
    const options = last && typeof last === 'object' ? (last as Record<string, any>) : {};
    const parts = (options === last ? row.slice(0, -1) : row) as string[];
    if (parts.length === 0) return { dimensions: {}, options };
    const dimensions: Record<string, string> = {};
    for (let i = 2; i < parts.length; i += 2) dimensions[parts[i]!] = parts[i + 1]!;
    return { namespace: parts[0], name: parts[1], dimensions, options };
  });
}

const alarmsOf = (template: Template) => Object.entries(template.findResources('AWS::CloudWatch::Alarm') as Record<string, CfnResource>);

describe('Observability (sample config)', () => {
  let template: Template;
  let widgets: Widget[];
  let escalationId: string;
  let machineId: string;
  const checkoutMitigations = mitigationsOf(sampleConfig().services[0]!);

  beforeAll(() => {
    template = templateFor(sampleConfig());
    widgets = dashboardOf(template).widgets;
    escalationId = Object.entries(template.findResources('AWS::SNS::Topic') as Record<string, CfnResource>).find(
      ([, t]) => t.Properties.DisplayName === 'Tourniquet escalation',
    )![0];
    machineId = Object.keys(template.findResources('AWS::StepFunctions::StateMachine'))[0]!;
  });

  describe('dashboard', () => {
    it('is named after the stage and region, and the stack outputs its name and console URL', () => {
      expect(dashboardOf(template).name).toBe('Tourniquet-prod-${AWS::Region}');
      const outputs = template.findOutputs('*') as Record<string, { Value: unknown }>;
      expect(render(outputs.DashboardName!.Value)).toMatch(/^\$\{ObservabilityDashboard\w+\}$/);
      expect(render(outputs.DashboardUrl!.Value)).toMatch(
        /^https:\/\/\$\{AWS::Region\}\.console\.aws\.amazon\.com\/cloudwatch\/home\?region=\$\{AWS::Region\}#dashboards\/dashboard\/\$\{ObservabilityDashboard\w+\}$/,
      );
    });

    it('has the widgets the on-call looks for', () => {
      const titles = widgets.map((w) => w.properties.title).filter(Boolean);
      for (const title of [
        'Self-monitoring alarms',
        'Open incidents and approvals waiting',
        'Incidents opened per service and severity',
        'Escalations to a human',
        'MTTD',
        'MTTM',
        'MTTR',
        'Mitigations applied',
        'Mitigations failed',
        'Mitigations reverted',
        'Learning loop',
        'Mitigation outcomes',
        'Approvals requested and decided',
        'Brake events',
        'Readiness',
        'Automation: function errors',
        'Automation: function throttles',
        'Automation: workflow executions',
        'Automation: dead-letter queues',
      ]) {
        expect(titles.filter((t) => t!.startsWith(title))).toHaveLength(1);
      }
    });

    it('shows every metric of the vocabulary, each with exactly the dimension set it is published with', () => {
      const tourniquet = widgets.flatMap(seriesOf).filter((s) => s.namespace === METRICS_NAMESPACE);
      expect(new Set(tourniquet.map((s) => s.name))).toEqual(new Set(Object.values(METRICS).map((m) => m.name)));
      for (const series of tourniquet) {
        const spec = Object.values(METRICS).find((m) => m.name === series.name)!;
        expect({ name: series.name, dimensions: Object.keys(series.dimensions).sort() }).toEqual({ name: series.name, dimensions: [...spec.dimensions].sort() });
      }
    });

    it('plots incidents opened per configured service and each severity its alarms can have', () => {
      const series = seriesOf(byTitle(widgets, 'Incidents opened'));
      expect(series.map((s) => [s.name, s.dimensions, s.options.stat])).toEqual([
        ['IncidentsOpened', { service: 'checkout', severity: 'SEV2' }, 'Sum'],
        ['IncidentsOpened', { service: 'checkout', severity: 'SEV3' }, 'Sum'],
      ]);
    });

    it('plots MTTM and MTTR by service as average and p90, with no widget statistic overriding the average', () => {
      for (const title of ['MTTM', 'MTTR']) {
        const widget = byTitle(widgets, title);
        expect(widget.properties.stat).toBeUndefined();
        const series = seriesOf(widget);
        expect(series.map((s) => `${s.name} ${s.dimensions.service} ${s.dimensions.severity} ${s.options.stat ?? 'Average'}`).sort()).toEqual(
          [`${title} checkout SEV2 Average`, `${title} checkout SEV2 p90`, `${title} checkout SEV3 Average`, `${title} checkout SEV3 p90`].sort(),
        );
      }
      // The SEV1 and SEV2 mitigation targets are drawn on the MTTM graph.
      expect(JSON.stringify(byTitle(widgets, 'MTTM'))).toContain('"value":1800');
    });

    it('plots outcomes per service, configured mitigation and verdict, and the learning-loop table sums tries and verdicts over the time range', () => {
      expect(checkoutMitigations.length).toBeGreaterThan(2);
      const outcomes = seriesOf(byTitle(widgets, 'Mitigation outcomes')).map((s) => `${s.dimensions.mitigation} ${s.dimensions.outcome}`);
      expect(outcomes.sort()).toEqual(checkoutMitigations.flatMap((m) => METRIC_OUTCOMES.mitigationOutcome.map((o) => `${m} ${o}`)).sort());

      const table = byTitle(widgets, 'Learning loop');
      expect(table.type).toBe('metric');
      expect(JSON.stringify(table.properties)).toContain('"summaryColumns":["SUM"]');
      const rows = seriesOf(table).map((s) => s.options.label as string);
      for (const m of checkoutMitigations) {
        expect(rows.filter((r) => r.startsWith(`checkout ${m}:`))).toEqual([
          `checkout ${m}: tried (applied)`,
          `checkout ${m}: effective`,
          `checkout ${m}: ineffective`,
          `checkout ${m}: escalated`,
          `checkout ${m}: reverted`,
          `checkout ${m}: failed`,
        ]);
      }
    });

    it('plots actions by type: applied, failed and reverted per configured mitigation', () => {
      for (const [title, name] of [
        ['Mitigations applied', 'MitigationsApplied'],
        ['Mitigations failed', 'MitigationsFailed'],
        ['Mitigations reverted', 'MitigationsReverted'],
      ] as const) {
        expect(seriesOf(byTitle(widgets, title)).map((s) => `${s.name} ${s.dimensions.service} ${s.dimensions.mitigation}`)).toEqual(
          checkoutMitigations.map((m) => `${name} checkout ${m}`),
        );
      }
    });

    it('sums approvals requested and each decision over the mitigations of a service, and plots the gauges of Tourniquet as a whole', () => {
      const approvals = seriesOf(byTitle(widgets, 'Approvals requested'));
      const lines = approvals.filter((s) => s.options.expression);
      expect(lines.map((s) => s.options.label)).toEqual(['checkout requested', 'checkout granted', 'checkout rejected', 'checkout timed-out']);
      for (const line of lines) expect(line.options.expression).toMatch(new RegExp(`^SUM\\(\\[(\\w+,){${checkoutMitigations.length - 1}}\\w+\\]\\)$`));
      const hidden = approvals.filter((s) => s.name);
      expect(hidden.every((s) => s.options.visible === false)).toBe(true);
      expect(hidden.filter((s) => s.name === 'ApprovalsDecided' && s.dimensions.outcome === 'timed-out')).toHaveLength(checkoutMitigations.length);

      const gauges = seriesOf(byTitle(widgets, 'Open incidents and approvals waiting'));
      expect(gauges.map((s) => [s.name, s.dimensions, s.options.stat])).toEqual([
        ['OpenIncidents', { service: SELF_SERVICE }, 'Maximum'],
        ['ApprovalsWaiting', { service: SELF_SERVICE }, 'Maximum'],
        ['OpenIncidentsWithoutPage', { service: SELF_SERVICE }, 'Maximum'],
        ['ChatPublishFailures', { service: SELF_SERVICE }, 'Sum'],
      ]);
    });

    it('plots brake events per outcome, and readiness as the minimum over each readiness run', () => {
      expect(seriesOf(byTitle(widgets, 'Brake events')).map((s) => s.dimensions.outcome)).toEqual([...METRIC_OUTCOMES.brakeEvents]);
      const readiness = seriesOf(byTitle(widgets, 'Readiness'));
      expect(readiness.map((s) => s.dimensions.mitigation)).toEqual(checkoutMitigations);
      expect(readiness.every((s) => s.options.stat === 'Minimum' && s.options.period === 3600)).toBe(true);
    });

    it("plots every function's errors and throttles, the workflow's failed, timed-out and aborted executions, and every dead-letter queue's depth", () => {
      const fnIds = Object.values(functionsByHandler(template)).map((f) => `\${${f.logicalId}}`);
      for (const [title, name] of [
        ['Automation: function errors', 'Errors'],
        ['Automation: function throttles', 'Throttles'],
      ] as const) {
        const series = seriesOf(byTitle(widgets, title));
        expect(series.every((s) => s.namespace === 'AWS/Lambda' && s.name === name)).toBe(true);
        expect(series.map((s) => s.dimensions.FunctionName).sort()).toEqual(fnIds.sort());
      }
      const executions = seriesOf(byTitle(widgets, 'Automation: workflow executions'));
      expect(executions.map((s) => s.name)).toEqual(['ExecutionsStarted', 'ExecutionsFailed', 'ExecutionsTimedOut', 'ExecutionsAborted']);
      const queues = seriesOf(byTitle(widgets, 'Automation: dead-letter queues'));
      expect(queues.map((s) => s.dimensions.QueueName).sort()).toEqual(
        Object.keys(template.findResources('AWS::SQS::Queue'))
          .map((id) => `\${${id}.QueueName}`)
          .sort(),
      );
    });

    it('shows the state of every alarm of the stack at the top', () => {
      const status = byTitle(widgets, 'Self-monitoring alarms');
      expect(status.type).toBe('alarm');
      expect(status.properties.alarms!.sort()).toEqual(
        alarmsOf(template)
          .map(([id]) => `\${${id}.Arn}`)
          .sort(),
      );
    });
  });

  describe('self-monitoring alarms', () => {
    const alarmOn = (metricName: string, dimension: string, value: unknown) => {
      const found = alarmsOf(template).filter(
        ([, a]) => a.Properties.MetricName === metricName && JSON.stringify(a.Properties.Dimensions) === JSON.stringify([{ Name: dimension, Value: value }]),
      );
      expect(found.map(([id]) => `${metricName} ${id}`)).toHaveLength(1);
      return found[0]![1].Properties;
    };

    it('alarms on the Errors and the Throttles of every function, one each', () => {
      const fns = functionsByHandler(template);
      expect(Object.keys(fns).sort()).toEqual([...HANDLER_NAMES].sort());
      for (const [handler, fn] of Object.entries(fns)) {
        const errors = alarmOn('Errors', 'FunctionName', { Ref: fn.logicalId });
        const throttles = alarmOn('Throttles', 'FunctionName', { Ref: fn.logicalId });
        expect(errors).toMatchObject({ AlarmName: `Tourniquet-prod-${handler}-errors`, Namespace: 'AWS/Lambda', Statistic: 'Sum', TreatMissingData: 'notBreaching' });
        expect(throttles).toMatchObject({ AlarmName: `Tourniquet-prod-${handler}-throttles`, Statistic: 'Sum', Period: 300, Threshold: 1, EvaluationPeriods: 1 });
        expect(render(errors.AlarmDescription)).toContain(`Tourniquet's`);
      }
      // Event-driven functions: 3 errors in 5 minutes (retries are by design); scheduled ones: failed runs in a row.
      expect(alarmOn('Errors', 'FunctionName', { Ref: fns.mitigate!.logicalId })).toMatchObject({
        Period: 300,
        Threshold: SELF_MONITORING.functionErrorThreshold,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        EvaluationPeriods: 1,
      });
      expect(alarmOn('Errors', 'FunctionName', { Ref: fns['status-cadence']!.logicalId })).toMatchObject({
        Period: CADENCE_SCHEDULE_MINUTES * 60,
        Threshold: 1,
        EvaluationPeriods: 2,
        DatapointsToAlarm: 2,
      });
      expect(alarmOn('Errors', 'FunctionName', { Ref: fns.readiness!.logicalId })).toMatchObject({ Period: 3600, Threshold: 1, EvaluationPeriods: 2, DatapointsToAlarm: 2 });
    });

    it('alarms on failed, timed-out and aborted executions of the incident workflow', () => {
      for (const metric of ['ExecutionsFailed', 'ExecutionsTimedOut', 'ExecutionsAborted']) {
        expect(alarmOn(metric, 'StateMachineArn', { Ref: machineId })).toMatchObject({
          Namespace: 'AWS/States',
          Statistic: 'Sum',
          Threshold: 1,
          ComparisonOperator: 'GreaterThanOrEqualToThreshold',
          TreatMissingData: 'notBreaching',
        });
      }
    });

    it('alarms on every dead-letter queue exactly once', () => {
      const queues = Object.keys(template.findResources('AWS::SQS::Queue'));
      expect(queues).toHaveLength(2);
      for (const queueId of queues) {
        expect(alarmOn('ApproximateNumberOfMessagesVisible', 'QueueName', { 'Fn::GetAtt': [queueId, 'QueueName'] })).toMatchObject({ Threshold: 0 });
      }
    });

    it('alarms on an open incident without a page in 24 h, treating a silent status cadence as breaching', () => {
      const alarm = alarmOn('OpenIncidentsWithoutPage', 'service', SELF_SERVICE);
      expect(alarm).toMatchObject({
        AlarmName: 'Tourniquet-prod-open-incident-without-page',
        Namespace: 'Tourniquet',
        Statistic: 'Maximum',
        Period: 900,
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        EvaluationPeriods: 1,
        TreatMissingData: 'breaching',
      });
      expect(alarm.AlarmDescription).toMatch(/missing data counts as breaching because the cadence publishes/);
    });

    it('pages the escalation topic from every alarm, and names and explains each', () => {
      const alarms = alarmsOf(template);
      // 13 functions × (errors, throttles), 3 execution alarms, 2 dead-letter queues, 1 open incident without a page.
      expect(alarms).toHaveLength(HANDLER_NAMES.length * 2 + 3 + 2 + 1);
      for (const [id, alarm] of alarms) {
        expect({ id, actions: alarm.Properties.AlarmActions }).toEqual({ id, actions: [{ Ref: escalationId }] });
        expect({ id, ok: alarm.Properties.OKActions ?? [{ Ref: escalationId }] }).toEqual({ id, ok: [{ Ref: escalationId }] });
        expect(alarm.Properties.AlarmName).toMatch(/^Tourniquet-prod-[a-z-]+$/);
        expect(render(alarm.Properties.AlarmDescription).length).toBeGreaterThan(80);
      }
      expect(new Set(alarms.map(([, a]) => a.Properties.AlarmName)).size).toBe(alarms.length);
    });
  });
});

describe('Observability (other configs)', () => {
  it('gives every service its own series, and a service with no mitigation only the series it can have', () => {
    const config = configWith((raw) => {
      raw.services.push({ name: 'search', severity: 'SEV1', alarms: [{ name: 'search-errors' }], resources: {} });
    });
    const { widgets } = dashboardOf(templateFor(config));
    const incidents = seriesOf(byTitle(widgets, 'Incidents opened')).map((s) => `${s.dimensions.service} ${s.dimensions.severity}`);
    expect(incidents).toEqual(['checkout SEV2', 'checkout SEV3', 'search SEV1']);
    const approvals = seriesOf(byTitle(widgets, 'Approvals requested')).filter((s) => s.options.expression);
    expect(approvals.map((s) => s.options.label)).not.toContain('search requested');
    expect(seriesOf(byTitle(widgets, 'Brake events')).filter((s) => s.dimensions.service === 'search')).toHaveLength(METRIC_OUTCOMES.brakeEvents.length);
  });

  it('alarms on one failed readiness run when two runs would span more than the day CloudWatch evaluates', () => {
    const template = templateFor(configWith((raw) => (raw.readinessCheckMinutes = 1440)));
    const readinessId = functionsByHandler(template).readiness!.logicalId;
    const [alarm] = alarmsOf(template).filter(([, a]) => a.Properties.MetricName === 'Errors' && JSON.stringify(a.Properties.Dimensions).includes(readinessId));
    expect(alarm![1].Properties).toMatchObject({ Period: 86_400, EvaluationPeriods: 1, DatapointsToAlarm: 1 });
  });

  it('refuses a Tourniquet metric asked for with other dimensions than it is published with', () => {
    expect(() => tourniquetMetric(METRICS.mttm, { service: 'checkout' })).toThrow('metric MTTM is published with dimensions service, severity, not service');
    expect(() => tourniquetMetric(METRICS.mttm, { service: 'checkout', severity: 'SEV1' })).not.toThrow();
  });
});
