import * as appconfig from 'aws-cdk-lib/aws-appconfig';
import { Construct } from 'constructs';

import { immediateStrategyName } from '../../lambdas/core/accounts.js';

export interface ImmediateDeploymentStrategyProps {
  /** Stage suffix, so two installs in one account do not collide on the strategy name. */
  readonly stage: string;
}

/**
 * The AppConfig deployment strategy a kill switch is deployed with: all targets at once, no bake.
 *
 * The predefined `AppConfig.AllAtOnce` still bakes for 10 minutes, during which a second change to
 * the same environment is refused; a mitigation must take effect, and be undoable, immediately.
 */
export class ImmediateDeploymentStrategy extends Construct {
  public readonly strategy: appconfig.CfnDeploymentStrategy;
  /** The strategy ID (`Ref`), passed to the mitigate function. */
  public readonly strategyId: string;

  constructor(scope: Construct, id: string, props: ImmediateDeploymentStrategyProps) {
    super(scope, id);
    this.strategy = new appconfig.CfnDeploymentStrategy(this, 'Strategy', {
      name: immediateStrategyName(props.stage),
      description: 'Tourniquet mitigations: deploy to all targets at once, no bake time.',
      deploymentDurationInMinutes: 0,
      growthFactor: 100,
      finalBakeTimeInMinutes: 0,
      replicateTo: 'NONE',
    });
    this.strategyId = this.strategy.ref;
  }
}
