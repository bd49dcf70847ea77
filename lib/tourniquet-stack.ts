import { Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';

import type { TourniquetConfig } from '../lambdas/core/config.js';
import { Tourniquet } from './tourniquet.js';

export interface TourniquetStackProps extends StackProps {
  /** The validated Tourniquet config (`parseConfig`). */
  readonly config: TourniquetConfig;
}

/**
 * The standalone deployment (`cdk deploy` of this repository): a stack holding one {@link Tourniquet}
 * and nothing else. The construct's id is `Default`, which CDK leaves out of logical IDs, so every
 * resource keeps the logical ID it had when its body lived here (an existing stack updates in place).
 */
export class TourniquetStack extends Stack {
  public readonly tourniquet: Tourniquet;
  // The construct's parts, as before the move (tests and scripts reach them through the stack).
  public readonly table: Tourniquet['table'];
  public readonly topics: Tourniquet['topics'];
  public readonly deploymentStrategy: Tourniquet['deploymentStrategy'];
  public readonly approvals: Tourniquet['approvals'];
  public readonly functions: Tourniquet['functions'];
  public readonly workflow: Tourniquet['workflow'];
  public readonly intake: Tourniquet['intake'];
  public readonly failureNet: Tourniquet['failureNet'];
  public readonly statusCadence: Tourniquet['statusCadence'];
  public readonly readiness: Tourniquet['readiness'];
  public readonly observability: Tourniquet['observability'];

  constructor(scope: Construct, id: string, props: TourniquetStackProps) {
    super(scope, id, {
      description: `Tourniquet (${props.config.stage}): CloudWatch alarm to verified mitigation`,
      ...props,
    });
    this.tourniquet = new Tourniquet(this, 'Default', { config: props.config });
    this.table = this.tourniquet.table;
    this.topics = this.tourniquet.topics;
    this.deploymentStrategy = this.tourniquet.deploymentStrategy;
    this.approvals = this.tourniquet.approvals;
    this.functions = this.tourniquet.functions;
    this.workflow = this.tourniquet.workflow;
    this.intake = this.tourniquet.intake;
    this.failureNet = this.tourniquet.failureNet;
    this.statusCadence = this.tourniquet.statusCadence;
    this.readiness = this.tourniquet.readiness;
    this.observability = this.tourniquet.observability;
  }
}
