import { READINESS_SESSION, serviceAccess } from '../core/accounts.js';
import type { ServiceConfig, TourniquetConfig } from '../core/config.js';
import { utcMinute } from '../core/status-update.js';
import { CATALOGUE } from '../mitigations/index.js';
import type { DeploymentStrategyRef, Mitigation, ReadinessCheck, ReadinessReport } from '../mitigations/mitigation.js';
import type { MitigationAdapters } from '../mitigations/ports.js';
import type { ReadinessVerdict } from '../store/readiness.js';
import type { Clock, MetricsSink, Publisher } from './ports.js';
import { atService, deploymentStrategyAt, type ForService, type StrategyLookup } from './service-scope.js';

/**
 * Readiness: every configured mitigation proves, read-only, that it could run now (the flag is in
 * the deployed configuration, the rollback target is ACTIVE, the secondary is healthy, the web ACL
 * has room, ...). `checkReadiness` runs the catalogue's checks for a config; `tourniquet preflight`
 * prints them, and the scheduled readiness function (`createScheduledReadiness`) publishes one
 * metric per target and pages the status topic when a target's verdict changes.
 */

/** One target's readiness, with the service it belongs to. */
export interface ServiceReadinessReport extends ReadinessReport {
  readonly service: string;
}

export interface ReadinessCheckDeps {
  readonly adapters: MitigationAdapters;
  /**
   * The central stack's AppConfig strategy flag changes deploy with; '' when unknown (its check then
   * says it was not checked). A service elsewhere is checked against its place's (`deploymentStrategyOf`).
   */
  readonly deploymentStrategyId: DeploymentStrategyRef;
  readonly clock: Clock;
  /** @default CATALOGUE */
  readonly catalogue?: readonly Mitigation[];
  /** The adapters of a service elsewhere (another region, or a workload account through the member role). */
  readonly forService?: ForService<Pick<ReadinessCheckDeps, 'adapters' | 'deploymentStrategyOf'>>;
  /** Finds the zero-bake strategy of a service elsewhere (from `forService`). */
  readonly deploymentStrategyOf?: StrategyLookup;
  /** The role session name in workload accounts (CloudTrail there shows what the calls were for). @default tourniquet-readiness */
  readonly sessionName?: string;
}

/** `--service` (or the function's input) names a service the config does not have. */
export class UnknownServiceError extends Error {
  override readonly name = 'UnknownServiceError';
}

/** The check a module's readiness fails with when it throws instead of reporting (a bug, or an AWS error it did not expect). */
const RAN = 'readiness check ran';

/**
 * Runs the readiness of every mitigation each service configures, in the catalogue's order. Read
 * only. A module whose check throws is reported not ready with the error, so one broken check does
 * not hide the others.
 *
 * @throws UnknownServiceError when `options.service` is not a service of the config
 */
export async function checkReadiness(deps: ReadinessCheckDeps, config: TourniquetConfig, options: { service?: string } = {}): Promise<ServiceReadinessReport[]> {
  const services = options.service === undefined ? config.services : config.services.filter((s) => s.name === options.service);
  if (services.length === 0) {
    throw new UnknownServiceError(`service "${options.service}" is not in the config (services: ${config.services.map((s) => s.name).join(', ')})`);
  }
  const reports: ServiceReadinessReport[] = [];
  // One service at a time, its mitigations side by side: they mostly call different services.
  for (const service of services) {
    const modules = (deps.catalogue ?? CATALOGUE).filter((m) => m.configured(service));
    const access = serviceAccess(config, service);
    const scoped = await atService(deps, access, deps.sessionName ?? READINESS_SESSION);
    const at = { ...scoped, deploymentStrategyId: deploymentStrategyAt(deps.deploymentStrategyId, access, config.stage, scoped.deploymentStrategyOf) };
    const perModule = await Promise.all(modules.map((m) => readinessOf(at, m, service)));
    for (const list of perModule) reports.push(...list.map((r) => ({ ...r, service: service.name })));
  }
  return reports;
}

async function readinessOf(deps: ReadinessCheckDeps, mitigation: Mitigation, service: ServiceConfig): Promise<readonly ReadinessReport[]> {
  try {
    return await mitigation.readiness({ service, adapters: deps.adapters, deploymentStrategyId: deps.deploymentStrategyId, clock: deps.clock });
  } catch (error) {
    const detail = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    return [{ type: mitigation.type, target: `${mitigation.title} of ${service.name}`, ready: false, checks: [{ check: RAN, ok: false, detail }] }];
  }
}

/** The first failing check of a report, as one line ("<check>: <detail>"). */
export function firstFailing(report: Pick<ReadinessReport, 'checks'>): string | undefined {
  const failing = report.checks.find((c: ReadinessCheck) => !c.ok);
  return failing ? `${failing.check}: ${failing.detail}` : undefined;
}

// ---- the scheduled check ----

/** Where the last verdict of each target is kept (`ReadinessLedger`, items `READINESS#…` of the incident table). */
export interface ReadinessVerdicts {
  last(service: string, type: string, target: string): Promise<ReadinessVerdict | undefined>;
  /** Conditional on the item read (`previousAt`); false when an overlapping run wrote first. */
  replace(verdict: ReadinessVerdict, previousAt: string | undefined): Promise<boolean>;
}

export interface ScheduledReadinessDeps extends ReadinessCheckDeps {
  readonly config: TourniquetConfig;
  readonly verdicts: ReadinessVerdicts;
  /** MitigationReady (1 ready, 0 not) per target. */
  readonly metrics: MetricsSink;
  readonly publisher: Publisher;
  readonly statusTopicArn: string;
}

export interface ScheduledReadinessResult {
  readonly checked: number;
  /** `<service> <type> <target>` of every target not ready in this run. */
  readonly notReady: string[];
  /** Verdict changes announced on the status topic. */
  readonly announced: { readonly service: string; readonly type: string; readonly target: string; readonly ready: boolean; readonly messageId: string }[];
  /** Targets another run recorded first (it announces, if anything). */
  readonly raced: string[];
  readonly failed: { readonly target: string; readonly error: string }[];
}

/** Some verdicts could not be recorded or announced; the others were. The run's result is attached. */
export class ReadinessRunError extends Error {
  override readonly name = 'ReadinessRunError';
  constructor(
    readonly result: ScheduledReadinessResult,
    options: { cause?: unknown } = {},
  ) {
    super(`readiness verdicts not recorded or announced: ${result.failed.map((f) => `${f.target} (${f.error})`).join('; ')}`, options);
  }
}

/**
 * Whether the status topic must hear of this verdict: a change of verdict, a target seen for the
 * first time not ready, or a verdict whose announcement failed last time. A target first seen ready
 * is news to nobody.
 */
export function mustAnnounce(last: ReadinessVerdict | undefined, ready: boolean): boolean {
  if (last === undefined) return !ready;
  return last.ready !== ready || !last.announced;
}

/**
 * One scheduled run: checks every configured mitigation, publishes a `MitigationReady` metric per
 * target, and announces verdict changes on the status topic (a target that stops being ready, and
 * once more when it is ready again). Each change is claimed first (a conditional write of the new
 * verdict, not yet announced), then published, then marked announced: overlapping runs announce
 * once, and a failed publish is retried by the next run.
 */
export function createScheduledReadiness(deps: ScheduledReadinessDeps) {
  return async (): Promise<ScheduledReadinessResult> => {
    const reports = await checkReadiness(deps, deps.config);
    const result: ScheduledReadinessResult = { checked: reports.length, notReady: [], announced: [], raced: [], failed: [] };
    let firstError: unknown;
    for (const report of reports) {
      // One datapoint per target: two flags of a service are two datapoints of one series (alarm on its Minimum); the target is metadata.
      deps.metrics.record('mitigationReady', report.ready ? 1 : 0, { service: report.service, mitigation: report.type }, { target: report.target });
      const name = `${report.service} ${report.type} ${report.target}`;
      if (!report.ready) result.notReady.push(name);
      try {
        await settle(deps, report, result);
      } catch (error) {
        firstError ??= error;
        result.failed.push({ target: name, error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) });
      }
    }
    if (result.failed.length > 0) throw new ReadinessRunError(result, { cause: firstError });
    return result;
  };
}

/** Records one target's verdict and announces it when it changed. */
async function settle(deps: ScheduledReadinessDeps, report: ServiceReadinessReport, result: ScheduledReadinessResult): Promise<void> {
  const now = deps.clock().toISOString();
  const last = await deps.verdicts.last(report.service, report.type, report.target);
  const announce = mustAnnounce(last, report.ready);
  const failing = firstFailing(report);
  const verdict: ReadinessVerdict = {
    service: report.service,
    type: report.type,
    target: report.target,
    ready: report.ready,
    since: last !== undefined && last.ready === report.ready ? last.since : now,
    at: now,
    ...(failing !== undefined ? { failing } : {}),
    announced: !announce,
  };
  if (!(await deps.verdicts.replace(verdict, last?.at))) {
    result.raced.push(`${report.service} ${report.type} ${report.target}`);
    return;
  }
  if (!announce) return;
  const message = readinessMessage(report, verdict, last);
  const { messageId } = await deps.publisher.publish({
    topicArn: deps.statusTopicArn,
    subject: message.subject,
    message: message.body,
    attributes: { service: report.service, mitigation: report.type, status: report.ready ? 'MitigationReady' : 'MitigationNotReady' },
  });
  result.announced.push({ service: report.service, type: report.type, target: report.target, ready: report.ready, messageId });
  // Marked only after the publish: if this write fails, the next run announces again (late or twice, never never).
  await deps.verdicts.replace({ ...verdict, announced: true }, verdict.at);
}

/** The status-topic message of a verdict change. */
export function readinessMessage(report: ServiceReadinessReport, verdict: ReadinessVerdict, last: ReadinessVerdict | undefined): { subject: string; body: string } {
  const mitigation = report.type;
  const subject = report.ready ? `Tourniquet: ${report.service} ${mitigation} is ready again` : `Tourniquet: ${report.service} ${mitigation} is NOT ready`;
  const lines = report.ready
    ? [
        `${mitigation} on ${report.target} (service ${report.service}) is ready again.`,
        ...(last !== undefined && !last.ready ? [`It had not been ready since ${utcMinute(last.since)}${last.failing ? ` (${last.failing})` : ''}.`] : []),
      ]
    : [
        `${mitigation} on ${report.target} (service ${report.service}) could not run if an incident needed it now.`,
        `Not ready since ${utcMinute(verdict.since)}. At incident time Tourniquet skips it and goes on to the next candidate, or pages a human.`,
      ];
  const checks = report.checks.map((c) => `  ${c.ok ? 'ok  ' : 'FAIL'} ${c.check}: ${c.detail}`);
  const body = [...lines, '', 'Checks:', ...checks, '', `See every mitigation: npx tourniquet preflight --service ${report.service} --stack <stack name>`].join('\n');
  return { subject, body };
}
