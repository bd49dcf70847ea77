import type { SimAppConfig } from './appconfig.js';
import type { SimArc } from './arc.js';
import type { SimEcs } from './ecs.js';
import type { SimRds } from './rds.js';
import type { SimRoute53 } from './route53.js';
import type { SimWafv2, WafTraffic } from './wafv2.js';

/**
 * The health model: what each service's error rate is at any instant, derived from the
 * simulated state instead of scripted. A fault is tied to a cause (a flag being on, a task
 * definition running, or nothing at all), so a mitigation helps exactly when it removes the
 * cause and a wrong mitigation leaves the fault in place.
 */

/** What makes a fault active. */
export type FaultCondition =
  | { readonly flagEnabled: { readonly applicationId: string; readonly environmentId: string; readonly configurationProfileId: string; readonly flag: string } }
  /** A failure the flag shields users from when on (a degrade / circuit-break flag). */
  | { readonly flagDisabled: { readonly applicationId: string; readonly environmentId: string; readonly configurationProfileId: string; readonly flag: string } }
  | { readonly taskDefinitionRunning: { readonly cluster: string; readonly service: string; readonly taskDefinition: string } }
  /** A failure on the share of traffic DNS still sends to this record (a failing region). */
  | { readonly servedBy: { readonly hostedZoneId: string; readonly recordName: string; readonly setIdentifier: string } }
  /** A failure on the share of users the ARC routing controls still send to this cell (a failing region). */
  | { readonly servedByCell: { readonly routingControlArn: string } }
  /** A flood that hurts while the web ACL in force does not block it. */
  | { readonly trafficUnblocked: { readonly webAclId: string; readonly traffic: WafTraffic } }
  /** A failure while this DB instance is its Aurora cluster's writer (a writer that locked up): a failover to a healthy replica ends it. */
  | { readonly databaseWriter: { readonly instanceId: string } }
  /** Saturation while the service runs fewer tasks than this. */
  | { readonly capacityBelow: { readonly cluster: string; readonly service: string; readonly tasks: number } }
  /** An outage no change explains (a dependency down, a bad region). */
  | { readonly always: true };

/** One way a service can fail. */
export interface Fault {
  readonly description?: string;
  /** Error rate added while the fault fully applies (scaled by the share of traffic it reaches). */
  readonly errorRatePercent: number;
  readonly when: FaultCondition;
  /** The fault can only be active from this instant on (inclusive). */
  readonly from?: Date;
  /** The fault can only be active before this instant (exclusive). */
  readonly until?: Date;
  /**
   * The fault comes and goes: it applies only during the first `onSeconds` of every
   * `onSeconds + offSeconds` cycle counted from `anchor` (a crash loop, a flapping dependency).
   */
  readonly pulse?: FaultPulse;
}

/** On/off cycle of a pulsing fault. */
export interface FaultPulse {
  readonly onSeconds: number;
  readonly offSeconds: number;
  /** Where the cycles are counted from (the fault's `from`, else the drill's start). */
  readonly anchor: Date;
}

/** Health definition of one service. */
export interface ServiceHealth {
  readonly baselineErrorRatePercent: number;
  readonly faults: readonly Fault[];
}

/** Where the health model reads the simulated state from. */
export interface HealthSources {
  readonly appconfig: Pick<SimAppConfig, 'flagExposure'>;
  readonly ecs: Pick<SimEcs, 'taskDefinitionShare'> & Partial<Pick<SimEcs, 'capacity'>>;
  readonly route53?: Pick<SimRoute53, 'servingShare'>;
  readonly wafv2?: Pick<SimWafv2, 'blocks'>;
  readonly arc?: Pick<SimArc, 'servingShare'>;
  readonly rds?: Pick<SimRds, 'isWriter'>;
}

/** Raised when asked about a service the model does not know. */
export class UnknownServiceError extends Error {
  override readonly name = 'UnknownServiceError';
}

/** Computes error rates from the simulated account's state. */
export class HealthModel {
  readonly #services: ReadonlyMap<string, ServiceHealth>;
  readonly #sources: HealthSources;

  constructor(services: Readonly<Record<string, ServiceHealth>>, sources: HealthSources) {
    this.#services = new Map(Object.entries(services));
    this.#sources = sources;
  }

  /** Names of the services the model knows. */
  services(): string[] {
    return [...this.#services.keys()];
  }

  /**
   * The instants at which a fault's `from` or `until` switches it on or off by itself, sorted. A
   * drill is not over while one lies ahead: the fault may still make an alarm fire. (The cycles of a
   * pulsing fault are not listed: they only matter while the fault is otherwise active.)
   */
  boundaries(): Date[] {
    const ms = new Set<number>();
    for (const health of this.#services.values()) {
      for (const fault of health.faults) {
        if (fault.from) ms.add(fault.from.getTime());
        if (fault.until) ms.add(fault.until.getTime());
      }
    }
    return [...ms].sort((a, b) => a - b).map((t) => new Date(t));
  }

  /** Error rate in percent at `t`: baseline plus each fault times the share of traffic it reaches, capped at 100. */
  errorRate(service: string, t: Date): number {
    const health = this.#require(service);
    let rate = health.baselineErrorRatePercent;
    for (const fault of health.faults) rate += fault.errorRatePercent * this.#weight(fault, t);
    return Math.min(100, rate);
  }

  /** The faults affecting any traffic at `t`, with the share (0..1) of traffic each reaches. */
  activeFaults(service: string, t: Date): { fault: Fault; share: number }[] {
    return this.#require(service)
      .faults.map((fault) => ({ fault, share: this.#weight(fault, t) }))
      .filter((f) => f.share > 0);
  }

  #require(service: string): ServiceHealth {
    const health = this.#services.get(service);
    if (!health) throw new UnknownServiceError(`the health model has no service "${service}" (known: ${this.services().join(', ') || 'none'})`);
    return health;
  }

  #weight(fault: Fault, t: Date): number {
    if (fault.from && t < fault.from) return 0;
    if (fault.until && t >= fault.until) return 0;
    if (fault.pulse && !pulseOn(fault.pulse, t)) return 0;
    const when = fault.when;
    if ('always' in when) return 1;
    if ('flagEnabled' in when) {
      const f = when.flagEnabled;
      return this.#sources.appconfig.flagExposure(f.applicationId, f.environmentId, f.configurationProfileId, f.flag, t);
    }
    if ('flagDisabled' in when) {
      const f = when.flagDisabled;
      return 1 - this.#sources.appconfig.flagExposure(f.applicationId, f.environmentId, f.configurationProfileId, f.flag, t);
    }
    if ('servedBy' in when) {
      const s = when.servedBy;
      if (!this.#sources.route53) throw new UnknownServiceError('a servedBy fault needs account.route53');
      return this.#sources.route53.servingShare(s.hostedZoneId, s.recordName, s.setIdentifier, t);
    }
    if ('servedByCell' in when) {
      if (!this.#sources.arc) throw new UnknownServiceError('a servedByCell fault needs account.arc');
      return this.#sources.arc.servingShare(when.servedByCell.routingControlArn, t);
    }
    if ('databaseWriter' in when) {
      if (!this.#sources.rds) throw new UnknownServiceError('a databaseWriter fault needs account.database');
      return this.#sources.rds.isWriter(when.databaseWriter.instanceId, t) ? 1 : 0;
    }
    if ('trafficUnblocked' in when) {
      if (!this.#sources.wafv2) throw new UnknownServiceError('a trafficUnblocked fault needs account.wafv2');
      return this.#sources.wafv2.blocks(when.trafficUnblocked.webAclId, when.trafficUnblocked.traffic, t) ? 0 : 1;
    }
    if ('capacityBelow' in when) {
      const c = when.capacityBelow;
      if (!this.#sources.ecs.capacity) throw new UnknownServiceError('a capacityBelow fault needs ECS capacity from the simulator');
      return this.#sources.ecs.capacity(c.cluster, c.service, t) < c.tasks ? 1 : 0;
    }
    const r = when.taskDefinitionRunning;
    return this.#sources.ecs.taskDefinitionShare(r.cluster, r.service, r.taskDefinition, t);
  }
}

/** Whether a pulsing fault is in the "on" part of its cycle at `t` (cycles extend before the anchor too). */
function pulseOn(pulse: FaultPulse, t: Date): boolean {
  const cycleMs = (pulse.onSeconds + pulse.offSeconds) * 1000;
  const phase = (((t.getTime() - pulse.anchor.getTime()) % cycleMs) + cycleMs) % cycleMs;
  return phase < pulse.onSeconds * 1000;
}
