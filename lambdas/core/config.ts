import * as z from 'zod';

import { MITIGATION_TYPES as MITIGATION_KEYS } from './mitigation-types.js';

/**
 * The one Tourniquet configuration, read by `cdk synth`, the CLI and the drill.
 * Every resource a mitigation may touch is named here; IAM policies are generated from it,
 * so anything not listed is out of reach of the automation.
 */

export const SEVERITIES = ['SEV1', 'SEV2', 'SEV3', 'SEV4'] as const;
export const SeveritySchema = z.enum(SEVERITIES);
export type Severity = z.infer<typeof SeveritySchema>;

const name = (what: string) =>
  z
    .string()
    .min(1, `${what} must not be empty`)
    .max(255, `${what} must be at most 255 characters`)
    .regex(/^[A-Za-z0-9._\-/:#]+$/, `${what} may contain only letters, digits and . _ - / : #`);

/** CloudWatch alarm names allow most printable ASCII; we refuse control characters only. */
const alarmName = z
  .string()
  .min(1, 'alarm name must not be empty')
  .max(255, 'alarm name must be at most 255 characters')
  .regex(/^[\x20-\x7E]+$/, 'alarm name must be printable ASCII');

/** AppConfig identifiers (application, environment, profile, strategy) are 4–7 lowercase alphanumerics. */
const appConfigId = (what: string) => z.string().regex(/^[a-z0-9]{4,7}$/, `${what} must be an AppConfig ID (4-7 lowercase letters or digits), not a name`);

const flagKey = z
  .string()
  .regex(/^[a-z][a-zA-Z0-9_-]{0,63}$/, 'flag key must start with a lowercase letter and contain only letters, digits, _ and - (max 64), as AppConfig requires');

/** An ECS cluster ARN: `arn:<partition>:ecs:<region>:<12-digit account>:cluster/<name>`. */
const ECS_CLUSTER_ARN = /^arn:aws(?:-cn|-us-gov|-iso(?:-[a-z])?)?:ecs:[a-z]{2}(?:-[a-z]+)+-\d:\d{12}:cluster\/[A-Za-z0-9_-]{1,255}$/;
/** An ECS cluster name: up to 255 letters, digits, hyphens and underscores. */
const ECS_CLUSTER_NAME = /^[A-Za-z0-9_-]{1,255}$/;

/** Why `cluster` is neither an ECS cluster name nor a well-formed cluster ARN, or undefined when it is one of them. */
export function ecsClusterProblem(cluster: string): string | undefined {
  if (cluster.startsWith('arn:')) {
    return ECS_CLUSTER_ARN.test(cluster)
      ? undefined
      : `"${cluster}" is not an ECS cluster ARN (arn:aws:ecs:<region>:<12-digit account>:cluster/<name>); give that ARN or just the cluster name`;
  }
  return ECS_CLUSTER_NAME.test(cluster) ? undefined : `"${cluster}" is not an ECS cluster name (letters, digits, - and _, max 255) or cluster ARN`;
}

/** WAFV2 IDs (the web ACL's) are lowercase UUIDs, as the WAFV2 API's `Id` pattern requires. */
const WAF_ID = /^[0-9a-f]{8}-(?:[0-9a-f]{4}-){3}[0-9a-f]{12}$/;

/** A WAFV2 ID; an ARN in its place is refused with the ID it contains. */
const wafId = (what: string) =>
  z.string().superRefine((id, ctx) => {
    if (WAF_ID.test(id)) return;
    const fromArn = id.startsWith('arn:') ? id.split('/').at(-1) : undefined;
    ctx.addIssue({
      code: 'custom',
      message:
        fromArn !== undefined && WAF_ID.test(fromArn)
          ? `${what} is the ID, not the ARN: use "${fromArn}"`
          : `${what} must be a WAFV2 ID: a lowercase UUID such as a1b2c3d4-5678-90ab-cdef-111111111111 (the last part of the ARN)`,
    });
  });

/** A runbook link: where the human who gets the page reads what to do (seeds: a page without a runbook is an unfinished feature). */
export const RunbookUrlSchema = z.url({ protocol: /^https?$/, error: 'runbook must be an http(s) URL' }).max(2048, 'runbook URL must be at most 2048 characters');

/** A 12-digit AWS account ID. */
export const AccountIdSchema = z.string().regex(/^\d{12}$/, 'account must be a 12-digit AWS account ID');

/** An AWS region name ("eu-west-1"). */
export const RegionSchema = z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'region must be an AWS region such as eu-west-1');

export const AlarmConfigSchema = z
  .object({
    /** CloudWatch alarm name, exactly as in CloudWatch. */
    name: alarmName,
    /** Severity when this alarm fires; defaults to the service's. */
    severity: SeveritySchema.optional(),
    /** One sentence on who is affected, used in status updates ("Customers cannot complete checkout"). */
    impact: z.string().min(1).max(500).optional(),
    /** What the alarm measures, for status-update subjects ("5xx rate"). */
    summary: z.string().min(1).max(120).optional(),
    /**
     * The alarm is a composite alarm. DescribeAlarms returns composite alarms only to a policy
     * whose Resource is `*`, so the functions that read alarms get that (read-only) grant.
     * @default false
     */
    composite: z.boolean().default(false),
    /** Runbook for this alarm; overrides the service's `runbook`. @default - the service's runbook */
    runbook: RunbookUrlSchema.optional(),
  })
  .strict();
export type AlarmConfig = z.infer<typeof AlarmConfigSchema>;

export const FeatureFlagsConfigSchema = z
  .object({
    applicationId: appConfigId('applicationId'),
    environmentId: appConfigId('environmentId'),
    /** The hosted configuration profile of type AWS.AppConfig.FeatureFlags. */
    configurationProfileId: appConfigId('configurationProfileId'),
    /** Flags the automation may switch off as kill switches. Flags not listed are never touched. */
    killSwitchFlags: z.array(flagKey).min(1).max(50),
    /** Flags that turn on a degraded mode (cached or reduced results) when a dependency fails. */
    degradeFlags: z.array(flagKey).max(20).default([]),
    /** Seconds for the application to pick up a new configuration (AppConfig agent poll interval). */
    propagationSeconds: z.number().int().min(0).max(900).default(45),
  })
  .strict();
export type FeatureFlagsConfig = z.infer<typeof FeatureFlagsConfigSchema>;

export const EcsConfigSchema = z
  .object({
    /** The cluster's name, or its ARN (`arn:aws:ecs:<region>:<account>:cluster/<name>`). */
    cluster: name('ecs.cluster').superRefine((cluster, ctx) => {
      const problem = ecsClusterProblem(cluster);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    }),
    service: name('ecs.service'),
    /** Upper bound for scale-out; scale-out is never chosen without it. */
    maxDesiredCount: z.number().int().min(1).max(5000).optional(),
  })
  .strict();
export type EcsConfig = z.infer<typeof EcsConfigSchema>;

export const Route53ConfigSchema = z.discriminatedUnion('mode', [
  z
    .object({
      /** Failover routing: the PRIMARY record uses this health check; inverting it sends traffic to SECONDARY. */
      mode: z.literal('health-check'),
      hostedZoneId: z.string().regex(/^Z[A-Z0-9]{1,31}$/, 'hostedZoneId must look like Z0123456789ABC'),
      recordName: z.string().min(1).max(255),
      primaryHealthCheckId: z.uuid('primaryHealthCheckId must be a UUID'),
    })
    .strict(),
  z
    .object({
      /** Weighted routing: failover moves all weight from the primary record to the secondary one. */
      mode: z.literal('weighted'),
      hostedZoneId: z.string().regex(/^Z[A-Z0-9]{1,31}$/, 'hostedZoneId must look like Z0123456789ABC'),
      recordName: z.string().min(1).max(255),
      recordType: z.enum(['A', 'AAAA', 'CNAME']).default('A'),
      primarySetIdentifier: z.string().min(1).max(128),
      secondarySetIdentifier: z.string().min(1).max(128),
    })
    .strict(),
]);
export type Route53Config = z.infer<typeof Route53ConfigSchema>;

export const WafConfigSchema = z
  .object({
    webAclName: name('waf.webAclName'),
    /** The web ACL's ID (a UUID, the last part of its ARN), not its ARN. */
    webAclId: wafId('waf.webAclId'),
    scope: z.enum(['REGIONAL', 'CLOUDFRONT']).default('REGIONAL'),
    /** Requests per 5 minutes per client IP above which the rate-based rule the automation adds blocks. */
    rateLimit: z.number().int().min(10).max(2_000_000_000).default(1000),
  })
  .strict();
export type WafConfig = z.infer<typeof WafConfigSchema>;

/** Route 53 ARC routing controls: failover turns the secondary cell's control On and the primary's Off in one call. */
export const ArcConfigSchema = z
  .object({
    /** The ARC cluster that hosts the routing controls (`arn:aws:route53-recovery-control::<account>:cluster/<id>`). */
    clusterArn: z.string().regex(/^arn:aws[a-z-]*:route53-recovery-control::\d{12}:cluster\/[A-Za-z0-9-]+$/, 'arc.clusterArn must be an ARC cluster ARN'),
    /**
     * The cluster's regional data-plane endpoints (DescribeCluster's ClusterEndpoints). The data plane is
     * called on each in turn until one answers, as AWS recommends; list all five.
     */
    clusterEndpoints: z
      .array(
        z
          .object({
            endpoint: z.url({ protocol: /^https$/, error: 'arc endpoint must be an https URL' }),
            region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'arc endpoint region must be an AWS region'),
          })
          .strict(),
      )
      .min(1, 'arc.clusterEndpoints needs at least one endpoint')
      .max(5),
    /** Routing control of the primary cell (On in normal operation). */
    primaryRoutingControlArn: z
      .string()
      .regex(
        /^arn:aws[a-z-]*:route53-recovery-control::\d{12}:controlpanel\/[A-Za-z0-9-]+\/routingcontrol\/[A-Za-z0-9-]+$/,
        'arc.primaryRoutingControlArn must be a routing control ARN',
      ),
    /** Routing control of the standby cell (Off in normal operation). */
    secondaryRoutingControlArn: z
      .string()
      .regex(
        /^arn:aws[a-z-]*:route53-recovery-control::\d{12}:controlpanel\/[A-Za-z0-9-]+\/routingcontrol\/[A-Za-z0-9-]+$/,
        'arc.secondaryRoutingControlArn must be a routing control ARN',
      ),
    /** Safety rules the automation may override (ARNs). Default none: every safety rule is honoured. */
    safetyRulesToOverride: z.array(z.string().startsWith('arn:')).max(10).default([]),
  })
  .strict()
  .refine((a) => a.primaryRoutingControlArn !== a.secondaryRoutingControlArn, {
    path: ['secondaryRoutingControlArn'],
    message: 'the secondary routing control must differ from the primary',
  });
export type ArcConfig = z.infer<typeof ArcConfigSchema>;

/** An Aurora database the automation may fail over (seed 000: database lock or corruption, fail over to a replica). */
export const DatabaseConfigSchema = z
  .object({
    /**
     * cluster: FailoverDBCluster to `targetInstanceId` inside the cluster. global-switchover / global-failover:
     * SwitchoverGlobalCluster (no data loss, needs a healthy primary) or FailoverGlobalCluster with
     * AllowDataLoss to `targetClusterArn`, a secondary cluster of `globalClusterId`.
     * @default cluster
     */
    mode: z.enum(['cluster', 'global-switchover', 'global-failover']).default('cluster'),
    /** The writer's DB cluster identifier. */
    clusterId: z.string().regex(/^[a-zA-Z][a-zA-Z0-9-]{0,62}$/, 'database.clusterId must be a DB cluster identifier'),
    /** cluster mode: the reader instance to promote. */
    targetInstanceId: z
      .string()
      .regex(/^[a-zA-Z][a-zA-Z0-9-]{0,62}$/, 'database.targetInstanceId must be a DB instance identifier')
      .optional(),
    /** global modes: the global database. */
    globalClusterId: z
      .string()
      .regex(/^[a-zA-Z][a-zA-Z0-9-]{0,62}$/)
      .optional(),
    /** global modes: the secondary DB cluster's ARN to promote. */
    targetClusterArn: z
      .string()
      .regex(/^arn:aws[a-z-]*:rds:[a-z0-9-]+:\d{12}:cluster:[a-zA-Z][a-zA-Z0-9-]*$/, 'database.targetClusterArn must be a DB cluster ARN')
      .optional(),
    /** The replica counts as healthy only under this lag (AuroraReplicaLag, or global replication lag), in seconds. */
    maxReplicaLagSeconds: z.number().min(0).max(3600).default(30),
  })
  .strict()
  .superRefine((d, ctx) => {
    if (d.mode === 'cluster' && d.targetInstanceId === undefined)
      ctx.addIssue({ code: 'custom', path: ['targetInstanceId'], message: 'database.targetInstanceId is required in cluster mode: the replica to promote' });
    if (d.mode !== 'cluster' && (d.globalClusterId === undefined || d.targetClusterArn === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: [d.globalClusterId === undefined ? 'globalClusterId' : 'targetClusterArn'],
        message: `database.globalClusterId and database.targetClusterArn are required in ${d.mode} mode`,
      });
    }
  });
export type DatabaseConfig = z.infer<typeof DatabaseConfigSchema>;

/**
 * CloudWatch alarms whose ALARM state confirms a symptom the decision matrix acts on. Without them
 * the matching mitigation is never chosen: failover, circuit break, WAF and scale-out need evidence.
 */
export const SymptomAlarmsSchema = z
  .object({
    downstreamFailure: z.array(alarmName).default([]),
    regionalFailure: z.array(alarmName).default([]),
    trafficFlood: z.array(alarmName).default([]),
    saturation: z.array(alarmName).default([]),
    /** The database is failing (locks, corruption, writer down): confirms a database failover. */
    databaseFailure: z.array(alarmName).default([]),
  })
  .strict();
export type SymptomAlarms = z.infer<typeof SymptomAlarmsSchema>;

/** How a mitigation may run: at once, after a human approves, or not at all. */
export const POLICY_MODES = ['auto', 'approval', 'never'] as const;
export const PolicyModeSchema = z.enum(POLICY_MODES);
export type PolicyMode = z.infer<typeof PolicyModeSchema>;

/** One mode for every severity, or one per severity (unlisted severities keep the default). */
export const PolicyRuleSchema = z.union([
  PolicyModeSchema,
  z.object({ SEV1: PolicyModeSchema.optional(), SEV2: PolicyModeSchema.optional(), SEV3: PolicyModeSchema.optional(), SEV4: PolicyModeSchema.optional() }).strict(),
]);
export type PolicyRule = z.infer<typeof PolicyRuleSchema>;

export const PolicyConfigSchema = z.partialRecord(z.enum(MITIGATION_KEYS), PolicyRuleSchema);
export type PolicyConfig = z.infer<typeof PolicyConfigSchema>;

/** Per mitigation: revert it when its verification fails, before the next candidate runs (see lambdas/core/lifecycle.ts for the defaults). */
export const RevertIneffectiveSchema = z.partialRecord(z.enum(MITIGATION_KEYS), z.boolean());
export type RevertIneffective = z.infer<typeof RevertIneffectiveSchema>;

export const ServiceConfigSchema = z
  .object({
    /** Short service name used in subjects and IDs ("checkout"). */
    name: z.string().regex(/^[a-z][a-z0-9-]{0,39}$/, 'service name must be lowercase letters, digits and -, max 40'),
    /** Default severity of this service's alarms. */
    severity: SeveritySchema.default('SEV2'),
    /**
     * The workload account the service, its alarms and its resources live in. Tourniquet acts there
     * through the member role (`crossAccount`, docs/accounts.md). @default - the account Tourniquet is deployed in
     */
    account: AccountIdSchema.optional(),
    /** The region the service, its alarms and its resources live in. @default - the region Tourniquet is deployed in */
    region: RegionSchema.optional(),
    /** Runbook for the service's alarms (an alarm's own `runbook` wins). @default - none: `tourniquet validate` warns */
    runbook: RunbookUrlSchema.optional(),
    alarms: z.array(AlarmConfigSchema).min(1, 'a service needs at least one alarm'),
    /** What the automation may touch for this service. A mitigation with no resources here is never chosen. */
    resources: z
      .object({
        featureFlags: FeatureFlagsConfigSchema.optional(),
        ecs: EcsConfigSchema.optional(),
        route53: Route53ConfigSchema.optional(),
        waf: WafConfigSchema.optional(),
        arc: ArcConfigSchema.optional(),
        database: DatabaseConfigSchema.optional(),
      })
      .strict()
      .default({}),
    /** What happens when nobody answers an approval request in time: escalate (default) or proceed, per severity. */
    onApprovalTimeout: z
      .object({
        SEV1: z.enum(['escalate', 'proceed']).optional(),
        SEV2: z.enum(['escalate', 'proceed']).optional(),
        SEV3: z.enum(['escalate', 'proceed']).optional(),
        SEV4: z.enum(['escalate', 'proceed']).optional(),
      })
      .strict()
      .default({}),
    /** Decide and notify for this service, but change nothing (the global dryRun applies too). */
    dryRun: z.boolean().default(false),
    /** Per-mitigation overrides of the default policy (see lambdas/core/policy.ts). */
    policy: PolicyConfigSchema.default({}),
    /** Alarms that confirm symptoms (dependency failing, region failing, flood, saturation). */
    symptomAlarms: SymptomAlarmsSchema.default({ downstreamFailure: [], regionalFailure: [], trafficFlood: [], saturation: [], databaseFailure: [] }),
    /** Overrides of which ineffective mitigations are reverted before the next candidate (docs/lifecycle.md). */
    revertIneffective: RevertIneffectiveSchema.default({}),
  })
  .strict();
export type ServiceConfig = z.infer<typeof ServiceConfigSchema>;

/** Minutes between scheduled status updates: at least the 5-minute schedule that sends them, at most a week. */
const cadenceMinutes = (severity: string) =>
  z
    .number()
    .int(`updateCadenceMinutes.${severity} must be a whole number of minutes`)
    .min(5, `updateCadenceMinutes.${severity} must be at least 5 (the cadence schedule runs every 5 minutes)`)
    .max(7 * 24 * 60, `updateCadenceMinutes.${severity} must be at most 10080 (one week)`);

/** Overrides of the default update cadence (`UPDATE_CADENCE_MINUTES` in severity.ts); unlisted severities keep the default. */
export const UpdateCadenceOverridesSchema = z
  .object({
    SEV1: cadenceMinutes('SEV1').optional(),
    SEV2: cadenceMinutes('SEV2').optional(),
    SEV3: cadenceMinutes('SEV3').optional(),
    SEV4: cadenceMinutes('SEV4').optional(),
  })
  .strict();
export type UpdateCadenceOverrides = z.infer<typeof UpdateCadenceOverridesSchema>;

const minutesPerSeverity = (what: string, min: number) => {
  const minutes = (severity: string) =>
    z
      .number()
      .int(`${what}.${severity} must be a whole number of minutes`)
      .min(min, `${what}.${severity} must be at least ${min}`)
      .max(7 * 24 * 60, `${what}.${severity} must be at most 10080 (one week)`);
  return z.object({ SEV1: minutes('SEV1').optional(), SEV2: minutes('SEV2').optional(), SEV3: minutes('SEV3').optional(), SEV4: minutes('SEV4').optional() }).strict();
};

/** How incidents follow alarm dynamics: episodes, watch, flaps, re-pages (docs/lifecycle.md). */
export const LifecycleConfigSchema = z
  .object({
    /** Incidents open (not RESOLVED) at once; past it a new incident is paged and automation does not act on it. */
    maxOpenIncidents: z.number().int().min(1).max(1000).default(10),
    /**
     * Quiet minutes after a verified mitigation before the incident is RESOLVED. Default: 3 alarm periods, at least 5 minutes.
     * At most 240: the watch runs inside the workflow, whose executions time out after 6 hours.
     */
    watchMinutes: z.number().int().min(1).max(240, 'lifecycle.watchMinutes must be at most 240: the watch runs inside the 6-hour workflow').optional(),
    /** Minutes after RESOLVED during which a re-fire re-opens the same incident as a flap. */
    flapCooldownMinutes: z
      .number()
      .int()
      .min(0)
      .max(7 * 24 * 60)
      .default(30),
    /** Minutes between re-pages of an ESCALATED incident nobody acknowledged, per severity (defaults in lambdas/core/lifecycle.ts). */
    repageMinutes: minutesPerSeverity('lifecycle.repageMinutes', 5).default({}),
    /** Minutes between reminders of an ACKNOWLEDGED incident nobody resolved: at least daily by default. */
    acknowledgedReminderMinutes: z
      .number()
      .int()
      .min(5)
      .max(7 * 24 * 60)
      .default(24 * 60),
  })
  .strict();
export type LifecycleConfig = z.infer<typeof LifecycleConfigSchema>;

/**
 * The brake on automation (docs/configuration.md): how many automated changes in an hour, how soon
 * after one another may touch the same service, and how many of a kind may stand on one resource.
 * Past a limit the change needs a human's approval (or, with onLimit "escalate", a human is paged).
 */
export const BrakeConfigSchema = z
  .object({
    /** Automated mutations across all services in any rolling hour. 0 = every change needs approval. */
    mutationsPerHour: z.number().int().min(0).max(1000).default(5),
    /** Minutes after an automated change to a service during which another incident (or a re-opened one) may not change it on its own. */
    serviceCooldownMinutes: z
      .number()
      .int()
      .min(0)
      .max(24 * 60)
      .default(10),
    /** Per mitigation type: at most this many automated actions in place on one resource at once (default: one WAF rule per web ACL). */
    perResourceLimits: z.partialRecord(z.enum(MITIGATION_KEYS), z.number().int().min(1).max(100)).default({}),
    /** Past a limit: ask for approval (default), or page a human without changing anything. */
    onLimit: z.enum(['approval', 'escalate']).default('approval'),
  })
  .strict();
export type BrakeConfig = z.infer<typeof BrakeConfigSchema>;
export const DEFAULT_BRAKE: BrakeConfig = { mutationsPerHour: 5, serviceCooldownMinutes: 10, perResourceLimits: {}, onLimit: 'approval' };

/** An IAM role name (no path). */
const roleName = z.string().regex(/^[\w+=,.@-]{1,64}$/, 'roleName must be an IAM role name: 1-64 of letters, digits and + = , . @ _ -');

/**
 * Central account acting on workload accounts (docs/accounts.md): where Tourniquet runs, and the role
 * it assumes in each service's `account`. Required as soon as a service names another account.
 */
export const CrossAccountConfigSchema = z
  .object({
    /** The account Tourniquet (the central stack) is deployed in: member roles trust its function roles, member rules forward alarms to its bus. */
    centralAccount: AccountIdSchema,
    /** The region the central stack is deployed in (where its event bus is). */
    centralRegion: RegionSchema,
    /** Name of the role the member stack creates in every workload account. @default Tourniquet-<stage>-member */
    memberRoleName: roleName.optional(),
    /**
     * AWS Organizations ID: member roles also require `aws:PrincipalOrgID`, and the central bus admits
     * events from the organization's accounts. @default - none: only the listed accounts
     */
    organizationId: z
      .string()
      .regex(/^o-[a-z0-9]{10,32}$/, 'organizationId must look like o-abc123def4')
      .optional(),
    /**
     * Roles of the people who may also assume the member role, so that `tourniquet undo` and
     * `tourniquet preflight` reach services in workload accounts: IAM role ARNs, with `*` allowed in
     * the name (IAM Identity Center roles end in a random suffix). They get what the mitigate function
     * gets there, so list on-call roles only. @default - none: only the Tourniquet functions
     */
    operatorRoleArns: z
      .array(
        z
          .string()
          .regex(
            /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/*-]{1,512}$/,
            'operatorRoleArns entries must be IAM role ARNs (arn:aws:iam::<account>:role/<path/name>, * allowed in the name)',
          ),
      )
      .max(20)
      .optional(),
  })
  .strict();
export type CrossAccountConfig = z.infer<typeof CrossAccountConfigSchema>;

/** A Slack channel AWS Chatbot posts Tourniquet's chat topic to (ids from the Chatbot console). */
export const SlackChannelSchema = z
  .object({
    /** Slack workspace (team) ID, e.g. T0123ABCD. */
    workspaceId: z.string().regex(/^[A-Z0-9]{1,255}$/, 'slack workspaceId must be a Slack team ID such as T0123ABCD'),
    /** Slack channel ID, e.g. C0123ABCD. */
    channelId: z.string().regex(/^[A-Za-z0-9]{1,255}$/, 'slack channelId must be a Slack channel ID such as C0123ABCD'),
  })
  .strict();

/** A Microsoft Teams channel AWS Chatbot posts the chat topic to. */
export const TeamsChannelSchema = z
  .object({
    teamId: z.uuid('teams teamId must be a UUID'),
    tenantId: z.uuid('teams tenantId must be a UUID'),
    /** The channel ID from the channel's link (`19:...@thread.tacv2`). */
    channelId: z.string().min(1).max(256),
  })
  .strict();

/** Chat (docs/chat.md): the chat topic gets every status update and page in AWS Chatbot's custom notification format. */
export const ChatConfigSchema = z
  .object({
    /** Slack channels to create AWS Chatbot configurations for. @default none */
    slack: z.array(SlackChannelSchema).max(10).default([]),
    /** Microsoft Teams channels to create AWS Chatbot configurations for. @default none */
    teams: z.array(TeamsChannelSchema).max(10).default([]),
  })
  .strict();
export type ChatConfig = z.infer<typeof ChatConfigSchema>;

export const TourniquetConfigSchema = z
  .object({
    version: z.literal(1, 'version must be 1'),
    /** Suffix for resource names so two installs can share an account ("prod"). */
    stage: z
      .string()
      .regex(/^[a-z][a-z0-9-]{0,15}$/, 'stage must be lowercase letters, digits and -, max 16')
      .default('prod'),
    /** Minutes before an alarm in which deployments and flag changes count as suspects. */
    changeWindowMinutes: z
      .number()
      .int()
      .min(1)
      .max(24 * 60)
      .default(30),
    /** Decide and notify, but change nothing. */
    dryRun: z.boolean().default(false),
    /** Times when automation only notifies (planned work): decisions are made and announced, nothing is changed. */
    maintenanceWindows: z
      .array(
        z
          .object({
            start: z.iso.datetime({ offset: true }),
            end: z.iso.datetime({ offset: true }),
            /** Services covered; all when absent. */
            services: z.array(z.string()).optional(),
            reason: z.string().max(200).optional(),
          })
          .strict()
          .refine((w) => Date.parse(w.end) > Date.parse(w.start), 'end must be after start'),
      )
      .default([]),
    /** Minutes between status updates while an incident stays open, per severity; unlisted severities keep the defaults. */
    updateCadenceMinutes: UpdateCadenceOverridesSchema.optional(),
    /** Episodes, watch period, flap cooldown, re-page timers and the cap on open incidents. */
    lifecycle: LifecycleConfigSchema.default({ maxOpenIncidents: 10, flapCooldownMinutes: 30, repageMinutes: {}, acknowledgedReminderMinutes: 24 * 60 }),
    /** Budget, cooldown and per-resource limits on automated changes. */
    brake: BrakeConfigSchema.default(DEFAULT_BRAKE),
    /**
     * Minutes between runs of the scheduled readiness check (docs/readiness.md): every configured
     * mitigation proves it could run, publishes a MitigationReady metric, and pages the status topic
     * when one stops (or starts again) being ready.
     * @default 60
     */
    readinessCheckMinutes: z
      .number()
      .int('readinessCheckMinutes must be a whole number of minutes')
      .min(5, 'readinessCheckMinutes must be at least 5')
      .max(24 * 60, 'readinessCheckMinutes must be at most 1440 (one day)')
      .default(60),
    notifications: z
      .object({
        /** Subscribed by email to the status topic (updates at every phase). */
        statusEmails: z.array(z.email('not a valid email address')).default([]),
        /** Subscribed by email to the escalation topic (pages when automation cannot help). */
        escalationEmails: z.array(z.email('not a valid email address')).default([]),
        /**
         * Subscribed by email to the approvers topic: the only messages with signed Approve/Reject
         * links. Without any, approvals are answered with `tourniquet approve|reject` only.
         */
        approverEmails: z.array(z.email('not a valid email address')).default([]),
      })
      .strict()
      .default({ statusEmails: [], escalationEmails: [], approverEmails: [] }),
    /** Chat channels (AWS Chatbot) for status updates and pages. @default - the chat topic only, no channel configuration */
    chat: ChatConfigSchema.default({ slack: [], teams: [] }),
    /** Services in other accounts: the central account and the member role (docs/accounts.md). @default - every service is in Tourniquet's own account */
    crossAccount: CrossAccountConfigSchema.optional(),
    services: z.array(ServiceConfigSchema).min(1, 'configure at least one service'),
  })
  .strict()
  .superRefine((config, ctx) => {
    const serviceNames = new Set<string>();
    const alarmOwners = new Map<string, string>();
    config.services.forEach((service, i) => {
      if (serviceNames.has(service.name)) {
        ctx.addIssue({ code: 'custom', path: ['services', i, 'name'], message: `duplicate service name "${service.name}"` });
      }
      serviceNames.add(service.name);
      service.alarms.forEach((alarm, j) => {
        const owner = alarmOwners.get(alarm.name);
        if (owner !== undefined) {
          ctx.addIssue({
            code: 'custom',
            path: ['services', i, 'alarms', j, 'name'],
            message: `alarm "${alarm.name}" already belongs to service "${owner}"; an alarm maps to one service`,
          });
        }
        alarmOwners.set(alarm.name, service.name);
      });
      const flags = service.resources.featureFlags;
      for (const list of ['killSwitchFlags', 'degradeFlags'] as const) {
        flags?.[list].forEach((flag, k) => {
          if (flags[list].indexOf(flag) !== k) {
            ctx.addIssue({
              code: 'custom',
              path: ['services', i, 'resources', 'featureFlags', list, k],
              message: `flag "${flag}" is listed twice in ${list}`,
            });
          }
        });
      }
      flags?.degradeFlags.forEach((flag, k) => {
        if (flags.killSwitchFlags.includes(flag)) {
          ctx.addIssue({
            code: 'custom',
            path: ['services', i, 'resources', 'featureFlags', 'degradeFlags', k],
            message: `flag "${flag}" cannot be both a kill switch (turned off) and a degrade flag (turned on)`,
          });
        }
      });
    });
    // An alarm is either an incident alarm (opens incidents) or a symptom alarm (evidence for one): not both.
    config.services.forEach((service, i) => {
      for (const [kind, names] of Object.entries(service.symptomAlarms)) {
        names.forEach((alarm, k) => {
          const owner = alarmOwners.get(alarm);
          if (owner !== undefined) {
            ctx.addIssue({
              code: 'custom',
              path: ['services', i, 'symptomAlarms', kind, k],
              message: `alarm "${alarm}" is an incident alarm of service "${owner}"; an alarm is an incident alarm or a symptom alarm, not both`,
            });
          }
        });
      }
    });
    // A service in another account is reached through the member role, which needs to know the central account.
    config.services.forEach((service, i) => {
      if (service.account !== undefined && config.crossAccount === undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['services', i, 'account'],
          message: `service "${service.name}" names account ${service.account}: add crossAccount (centralAccount, centralRegion) so the member role and alarm forwarding can be set up (docs/accounts.md)`,
        });
      }
      // Without the central region, nothing can tell whether the service's region is Tourniquet's or one to forward alarms from.
      if (service.region !== undefined && config.crossAccount === undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['services', i, 'region'],
          message: `service "${service.name}" names region ${service.region}: add crossAccount (centralAccount, centralRegion: where Tourniquet runs) so its alarms can be forwarded and its failover checked (docs/accounts.md)`,
        });
      }
    });
    config.maintenanceWindows.forEach((window, i) => {
      window.services?.forEach((name, j) => {
        if (!serviceNames.has(name)) {
          ctx.addIssue({
            code: 'custom',
            path: ['maintenanceWindows', i, 'services', j],
            message: `unknown service "${name}": a maintenance window names services of this config (${[...serviceNames].join(', ')})`,
          });
        }
      });
    });
  });
export type TourniquetConfig = z.infer<typeof TourniquetConfigSchema>;

/** One problem in a config file, with the JSON path where it was found. */
export interface ConfigProblem {
  readonly path: string;
  readonly message: string;
}

export class ConfigInvalidError extends Error {
  override readonly name = 'ConfigInvalidError';
  constructor(
    readonly source: string,
    readonly problems: readonly ConfigProblem[],
  ) {
    super(`${source}: ${problems.length} problem(s) in the Tourniquet config:\n${problems.map((p) => `  - ${p.path}: ${p.message}`).join('\n')}`);
  }
}

const formatPath = (path: readonly PropertyKey[]): string =>
  path.length === 0
    ? '(root)'
    : path
        .map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`))
        .join('')
        .replace(/^\./, '');

/** Validates a parsed config object; returns the typed config or every problem found. */
export function checkConfig(raw: unknown): { ok: true; config: TourniquetConfig } | { ok: false; problems: ConfigProblem[] } {
  const result = TourniquetConfigSchema.safeParse(raw);
  if (result.success) return { ok: true, config: result.data };
  return { ok: false, problems: result.error.issues.map((issue) => ({ path: formatPath(issue.path), message: issue.message })) };
}

/** Parses config text (JSON); throws ConfigInvalidError listing every problem. */
export function parseConfig(text: string, source = 'config'): TourniquetConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (cause) {
    throw new ConfigInvalidError(source, [{ path: '(root)', message: `not valid JSON: ${(cause as Error).message}` }]);
  }
  const checked = checkConfig(raw);
  if (!checked.ok) throw new ConfigInvalidError(source, checked.problems);
  return checked.config;
}

/** The service whose symptom alarms name this alarm (the first, in config order), or undefined. */
export function findSymptomAlarm(config: TourniquetConfig, alarmName: string): ServiceConfig | undefined {
  return config.services.find((service) => Object.values(service.symptomAlarms).some((names) => names.includes(alarmName)));
}

/** Finds the service and alarm entry for an alarm name, or undefined when the alarm is not configured. */
export function findAlarm(config: TourniquetConfig, alarmName: string): { service: ServiceConfig; alarm: AlarmConfig } | undefined {
  for (const service of config.services) {
    const alarm = service.alarms.find((a) => a.name === alarmName);
    if (alarm) return { service, alarm };
  }
  return undefined;
}

/** The role the member stack creates in each workload account and the functions assume there. */
export function memberRoleName(config: Pick<TourniquetConfig, 'stage' | 'crossAccount'>): string {
  return config.crossAccount?.memberRoleName ?? `Tourniquet-${config.stage}-member`;
}

/** Where a service lives: its own account/region, or undefined for Tourniquet's own (the deploying account and region). */
export interface ServiceLocation {
  readonly account?: string;
  readonly region?: string;
}

/**
 * Whether the service is acted on through the member role: it names an account other than the
 * central one. A service in the central account (named or not) is reached with the functions' own roles.
 */
export function isRemoteService(config: Pick<TourniquetConfig, 'crossAccount'>, service: ServiceLocation): boolean {
  return service.account !== undefined && service.account !== config.crossAccount?.centralAccount;
}

/** The runbook for an alarm: its own, else its service's, else undefined. */
export function runbookFor(service: Pick<ServiceConfig, 'runbook'>, alarm: Pick<AlarmConfig, 'runbook'> | undefined): string | undefined {
  return alarm?.runbook ?? service.runbook;
}

/** The runbook of an incident's alarm, found by service and alarm name (pages and postmortems, which have the record, not the config slice). */
export function configuredRunbook(services: readonly ServiceConfig[], serviceName: string, alarmName: string): string | undefined {
  const service = services.find((s) => s.name === serviceName);
  return service
    ? runbookFor(
        service,
        service.alarms.find((a) => a.name === alarmName),
      )
    : undefined;
}
