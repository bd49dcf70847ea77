import type { PolicyMode, ServiceConfig, Severity, TourniquetConfig } from '../core/config.js';
import type { CandidateParams, MitigationType, Risk, Triage } from '../core/model.js';
import type { MitigationAdapters } from './ports.js';

/**
 * The contract of one mitigation in the catalogue (`lambdas/mitigations/<type>.ts`). Everything the
 * product knows about a mitigation type lives in its module: when the decision matrix proposes it,
 * how risky it is and who decides by default, how it previews, applies, verifies and undoes, how it
 * proves it can run (readiness), and which IAM statements it needs. Mitigate, undo, decide, preflight,
 * the readiness function, the drill and `lib/permissions` only iterate the catalogue.
 *
 * Modules are CDK-free and load their adapters lazily through {@link MitigationAdapters}, so a
 * handler that imports the catalogue bundles no CDK and initialises only the SDK clients it calls.
 */
export interface Mitigation {
  readonly type: MitigationType;
  /** A few words for people ("kill switch", "ECS rollback"). */
  readonly title: string;
  readonly risk: Risk;
  /** Who decides per severity when the service's `policy` says nothing. */
  readonly defaultPolicy: Readonly<Record<Severity, PolicyMode>>;
  /** Revert it when verification shows no effect, before the next candidate (config `revertIneffective` overrides). */
  readonly revertWhenIneffective: boolean;
  /** At most this many of its actions stand on one resource at once (config `brake.perResourceLimits` overrides). */
  readonly perResourceLimit?: number;
  /** Mutating AWS calls one change makes (the drill counts them to prove nothing was sent twice). */
  readonly writesPerChange: number;
  /** The decision-matrix row it answers: the evidence that makes it a candidate. */
  readonly evidence: MatrixEvidence;
  /** The matrix case named when it is the plan's first candidate ("feature-regression"). */
  readonly matrixCase: string;
  /** Whether the service's config gives this mitigation something to act on. */
  configured(service: ServiceConfig): boolean;
  /** The candidates this mitigation proposes for the triage facts (none when its evidence is absent), and notes for the plan. */
  propose(input: ProposeInput): Proposals;
  /** A read-only look: the before-state undo needs, whether apply would change anything, and what. */
  preview(ctx: MitigationContext, params: CandidateParams): Promise<Preview>;
  /** Makes the change (idempotent: a second call finds it in place). */
  apply(ctx: MitigationContext, params: CandidateParams): Promise<Applied>;
  /** Puts the resource back to `before` (what preview/apply recorded). */
  undo(ctx: MitigationContext, action: UndoInput): Promise<UndoResult>;
  /**
   * Read-only proof that the mitigation could run now: the resources exist and are in a state the
   * change can be made from. Run by `tourniquet preflight`, the scheduled readiness function, and
   * the decision step at incident time (a candidate that is not ready is named and skipped).
   * One report per configured target (each kill-switch flag, the ECS service, …).
   */
  readiness(ctx: ReadinessContext): Promise<readonly ReadinessReport[]>;
  /**
   * After the alarms read OK: whether the change itself has settled (an ECS deployment steady, the
   * new database writer available). Absent: the alarm alone decides.
   */
  settled?(ctx: SettleContext): Promise<{ settled: boolean; detail: string }>;
  /** IAM statements for the configured resources: read (triage, readiness, previews) and write (mitigate, undo). */
  permissions(config: TourniquetConfig, arns: ArnFormatter): MitigationPermissions;
}

/** The evidence rows of the decision matrix. */
export type MatrixEvidence = 'flag-turned-on' | 'new-deployment' | 'regional-failure' | 'database-failure' | 'downstream-failure' | 'traffic-flood' | 'saturation';

/** What `propose` reads: the triage facts and the service config. */
export interface ProposeInput {
  readonly triage: Triage;
  readonly service: ServiceConfig;
  /** When the alarm fired: rationale says "N min before the alarm". */
  readonly alarmAt: string;
  /** A recent change (flag or deployment) already explains the alarm: capacity is then not the cause. */
  readonly changeExplains: boolean;
}

/** One candidate a module proposes; the matrix adds risk and policy. */
export interface Proposal {
  /** Human-readable target ("flag new-checkout-flow in abc1234/env5678/prof901"). */
  readonly target: string;
  readonly params: CandidateParams;
  readonly rationale: string;
}

/** What `propose` returns: its candidates (often none) and notes for the plan. */
export interface Proposals {
  readonly proposals: readonly Proposal[];
  /** Notes for the plan's rationale (a flag that turned on but is not a kill switch). */
  readonly notes?: readonly string[];
}

/** What a mitigation works with: the service's config slice and its adapters. */
export interface MitigationContext {
  readonly service: ServiceConfig;
  readonly adapters: MitigationAdapters;
  readonly incidentId: string;
  /** Why, in the words AWS records (AppConfig description, Route 53 comment): "Tourniquet inc-… : kill switch for <alarm>". */
  readonly reason: string;
  /** The AppConfig strategy a flag change deploys with (zero bake): where the service is (see {@link DeploymentStrategyRef}). */
  readonly deploymentStrategyId: DeploymentStrategyRef;
  readonly clock: () => Date;
}

/**
 * The zero-bake AppConfig strategy of the service's account and region: an ID (the central stack's,
 * from the function's environment), or, for a service elsewhere, a lookup of the member stack's
 * strategy by name, run only when a flag change or its readiness check needs it.
 */
export type DeploymentStrategyRef = string | (() => Promise<string>);

/** The strategy ID a ref stands for. @throws DeploymentStrategyMissingError when a lookup finds none */
export async function strategyIdOf(ref: DeploymentStrategyRef): Promise<string> {
  return typeof ref === 'string' ? ref : ref();
}

/** What `settled` gets: verify runs it, with no change to make. */
export type SettleContext = Pick<MitigationContext, 'service' | 'adapters' | 'clock'>;

/** What `readiness` gets: the service and its adapters, with no incident. */
export interface ReadinessContext extends Omit<MitigationContext, 'incidentId' | 'reason'> {}

/** What `preview` read, without changing anything. */
export interface Preview {
  readonly before: unknown;
  readonly wouldChange: boolean;
  readonly detail: string;
  /** Set when the mitigation cannot act now (at its cap, no stable revision, secondary unhealthy, flag already off): the reason. */
  readonly notExecutable?: string;
}

/** What `apply` did (or found in place). */
export interface Applied {
  readonly status: 'applied' | 'already-applied';
  readonly before: unknown;
  readonly after: unknown;
  readonly detail: string;
  /** Seconds the change needs to take effect (propagation, DNS, deployment) before the alarm can recover. */
  readonly takesEffectSeconds: number;
}

/** The recorded action `undo` reverts. */
export interface UndoInput {
  readonly params: CandidateParams;
  /** The before-state recorded on the action (preview's or apply's `before`). */
  readonly before: unknown;
  readonly after: unknown;
  /** Who undoes it, for the audit trail. */
  readonly by: string;
  readonly dryRun: boolean;
}

/** What `undo` did, or would do in a dry run. */
export interface UndoResult {
  readonly status: 'undone' | 'would-undo' | 'skipped';
  readonly detail: string;
}

/** One read-only check of a readiness report. */
export interface ReadinessCheck {
  /** What was checked ("flag new-checkout-flow in the deployed configuration"). */
  readonly check: string;
  readonly ok: boolean;
  readonly detail: string;
}

/** Whether one configured target of a mitigation could act now, and why. */
export interface ReadinessReport {
  readonly type: MitigationType;
  /** The resource checked ("flag new-checkout-flow (app/env/profile)"). */
  readonly target: string;
  readonly ready: boolean;
  readonly checks: readonly ReadinessCheck[];
}

/** An IAM statement as plain data: `lib/permissions` turns it into an `iam.PolicyStatement`. */
export interface StatementSpec {
  readonly sid: string;
  readonly actions: readonly string[];
  readonly resources: readonly string[];
  readonly conditions?: Readonly<Record<string, Readonly<Record<string, readonly string[]>>>>;
  /** Why a wildcard resource is needed; acknowledged for cdk-nag with this reason. */
  readonly wildcardReason?: string;
}

/** A module's IAM statements for the configured resources, by who needs them. */
export interface MitigationPermissions {
  /** Reads of previews, readiness and mitigate's before-state. */
  readonly read: readonly StatementSpec[];
  /** Writes: mitigate and undo only, never in a dry run. */
  readonly write: readonly StatementSpec[];
  /** The subset of `read` triage needs to find this mitigation's evidence (recent flag changes, deployments). @default none */
  readonly evidence?: readonly StatementSpec[];
  /** The subset of `read` verify needs for `settled`. @default none */
  readonly settle?: readonly StatementSpec[];
}

/** Formats ARNs in the deploying stack's partition, region and account (CDK tokens in `lib/`, literals in tests). */
export interface ArnFormatter {
  /** The AppConfig strategy the stack deploys flag changes with (its ARN is part of StartDeployment's grant). */
  readonly deploymentStrategyId?: string;
  arn(parts: { service: string; resource: string; resourceName: string; region?: string; account?: string; separator?: '/' | ':' }): string;
}

/** The error a mitigation throws when the config or the resource makes it impossible (never retried). */
export class MitigationNotExecutableError extends Error {
  override readonly name: string = 'MitigationNotExecutableError';
}

/**
 * A service elsewhere has no Tourniquet deployment strategy in its account and region (the member
 * stack there is missing or predates its flags): no flag change can deploy, and nothing was changed.
 */
export class DeploymentStrategyMissingError extends MitigationNotExecutableError {
  override readonly name = 'DeploymentStrategyMissingError';
}
