import { type ContextEntry, type EvaluationResult, IAMClient, SimulatePrincipalPolicyCommand } from '@aws-sdk/client-iam';

import { callAws } from './errors.js';

/**
 * Asks IAM whether a principal's policies allow actions on resources (`iam:SimulatePrincipalPolicy`):
 * preflight uses it to prove the mitigate role may make each configured mitigation's change. The
 * simulation covers the role's identity policies and permissions boundary, not resource policies.
 */

export type PolicyDecision = 'allowed' | 'explicitDeny' | 'implicitDeny';

export interface SimulationRequest {
  /** The role (or user) whose policies are simulated. */
  readonly principalArn: string;
  readonly actions: readonly string[];
  readonly resources: readonly string[];
  /** Condition keys the real call carries (e.g. `route53:ChangeResourceRecordSetsActions`), as string lists. */
  readonly context?: Readonly<Record<string, readonly string[]>>;
}

export interface SimulatedDecision {
  readonly action: string;
  readonly resource: string;
  readonly decision: PolicyDecision;
}

/** IAM answers at most this many results per page. */
const PAGE = 1000;

export class IamPolicySimulator {
  constructor(private readonly client: IAMClient = new IAMClient({})) {}

  /** One decision per action and resource. */
  async simulate(request: SimulationRequest): Promise<SimulatedDecision[]> {
    const context: ContextEntry[] = Object.entries(request.context ?? {}).map(([key, values]) => ({
      ContextKeyName: key,
      ContextKeyValues: [...values],
      ContextKeyType: 'stringList',
    }));
    const decisions: SimulatedDecision[] = [];
    let marker: string | undefined;
    do {
      const page = marker;
      const out = await callAws('IAM SimulatePrincipalPolicy', request.principalArn, () =>
        this.client.send(
          new SimulatePrincipalPolicyCommand({
            PolicySourceArn: request.principalArn,
            ActionNames: [...request.actions],
            ResourceArns: [...request.resources],
            ...(context.length > 0 ? { ContextEntries: context } : {}),
            MaxItems: PAGE,
            ...(page !== undefined ? { Marker: page } : {}),
          }),
        ),
      );
      for (const result of out.EvaluationResults ?? []) decisions.push(...decisionsOf(result));
      marker = out.IsTruncated ? out.Marker : undefined;
    } while (marker !== undefined);
    return decisions;
  }
}

/**
 * IAM now answers one result per action with a decision per resource in ResourceSpecificResults
 * (the top-level decision is the most restrictive of them); it used to answer one result per action
 * and resource. Both shapes give the same per-resource list here.
 */
function decisionsOf(result: EvaluationResult): SimulatedDecision[] {
  const action = result.EvalActionName ?? 'unknown';
  const perResource = result.ResourceSpecificResults ?? [];
  if (perResource.length > 0) {
    return perResource.map((r) => ({ action, resource: r.EvalResourceName ?? '*', decision: (r.EvalResourceDecision ?? 'implicitDeny') as PolicyDecision }));
  }
  return [{ action, resource: result.EvalResourceName ?? '*', decision: (result.EvalDecision ?? 'implicitDeny') as PolicyDecision }];
}
