import * as z from 'zod';

/**
 * The recorded state of an ARC failover, without the ARC client: the catalogue module reads and
 * validates it (undo, descriptions) without loading the SDK (lambdas/adapters/arc-routing-control.ts
 * makes the calls).
 */

/** A routing control's state, as ARC spells it. */
export const RoutingControlStateSchema = z.enum(['On', 'Off']);
export type RoutingControlState = z.infer<typeof RoutingControlStateSchema>;

/**
 * The states of the two routing controls a failover flips: the before-state of a failover is the
 * input of its undo. The ARNs tie a recorded state to the config it was read with.
 */
export const ArcStateSchema = z.object({
  primaryArn: z.string(),
  primary: RoutingControlStateSchema,
  secondaryArn: z.string(),
  secondary: RoutingControlStateSchema,
});
export type ArcState = z.infer<typeof ArcStateSchema>;

/** The routing control's ID: the last part of its ARN. */
export function routingControlId(routingControlArn: string): string {
  return routingControlArn.split('/').pop() ?? routingControlArn;
}
