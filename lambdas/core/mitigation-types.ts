/**
 * The mitigation types, in the doctrine's order of preference (kill switch > rollback > failover >
 * circuit break > scale): the decision matrix tries candidates in this order. Each type is one
 * module of the catalogue in `lambdas/mitigations/<type>.ts`; this list only names them, so the
 * config schema and the workflow model can validate a type without loading the catalogue.
 */
export const MITIGATION_TYPES = [
  'feature-flag-off',
  'ecs-rollback',
  'route53-failover',
  'arc-routing-control',
  'db-failover',
  'degrade-flag-on',
  'waf-block',
  'ecs-scale-out',
] as const;

export type MitigationType = (typeof MITIGATION_TYPES)[number];
