import { CfnOutput, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import * as appconfig from 'aws-cdk-lib/aws-appconfig';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type { Construct } from 'constructs';

/** CDK context key carrying the run's stage to the sample app (`-c tourniquet-aws-test:stage=<stage>`). */
export const STAGE_CONTEXT = 'tourniquet-aws-test:stage';

/** The flag the sample turns on and Tourniquet must turn off: its kill switch. */
export const SAMPLE_FLAG = 'new-checkout-flow';
/** Namespace of the sample's custom metric; the test puts breaching values into it. */
export const SAMPLE_METRIC_NAMESPACE = 'TourniquetAwsTest';
export const SAMPLE_METRIC_NAME = 'CheckoutErrors';
/** The alarm fires at this many errors in a minute. */
export const SAMPLE_ALARM_THRESHOLD = 1;

/** The sample workload's names for one stage: every name carries the stage, so runs never collide. */
export function sampleNames(stage: string) {
  return {
    stackName: `TourniquetAwsTest-${stage}-workload`,
    application: `tourniquet-aws-test-${stage}`,
    alarmName: `tourniquet-aws-test-${stage}-checkout-errors`,
    /** The metric's one dimension: the stage, so two runs' datapoints never meet in one alarm. */
    dimensions: { Stage: stage },
  };
}

/** Stack outputs the test reads back (CloudFormation DescribeStacks). */
export const SAMPLE_OUTPUTS = {
  applicationId: 'ApplicationId',
  environmentId: 'EnvironmentId',
  configurationProfileId: 'ConfigurationProfileId',
  hostedVersion: 'HostedConfigurationVersion',
  alarmName: 'AlarmName',
} as const;

/** The AWS.AppConfig.FeatureFlags document of the sample: one flag, on. */
export function sampleFlagsDocument(): string {
  return JSON.stringify({ version: '1', flags: { [SAMPLE_FLAG]: { name: SAMPLE_FLAG } }, values: { [SAMPLE_FLAG]: { enabled: true } } });
}

export interface SampleWorkloadStackProps extends StackProps {
  /** Unique per run (lowercase, digits, -): names every resource. */
  readonly stage: string;
}

/**
 * The tiny workload `npm run test:aws` deploys for Tourniquet to act on: a feature flag that was just
 * turned on (an AppConfig FeatureFlags profile, its hosted version and a completed deployment) and an
 * alarm on a custom metric. Nothing here costs anything while idle.
 */
export class SampleWorkloadStack extends Stack {
  public readonly alarm: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: SampleWorkloadStackProps) {
    super(scope, id, props);
    const names = sampleNames(props.stage);

    const application = new appconfig.CfnApplication(this, 'Application', { name: names.application, description: 'Tourniquet real-AWS test: sample workload' });
    // BYPASS: the test deletes these minutes after the flag was read, which AppConfig's deletion protection would refuse.
    const environment = new appconfig.CfnEnvironment(this, 'Environment', { applicationId: application.attrApplicationId, name: 'test', deletionProtectionCheck: 'BYPASS' });
    const profile = new appconfig.CfnConfigurationProfile(this, 'Flags', {
      applicationId: application.attrApplicationId,
      name: 'flags',
      locationUri: 'hosted',
      type: 'AWS.AppConfig.FeatureFlags',
      deletionProtectionCheck: 'BYPASS',
    });
    const version = new appconfig.CfnHostedConfigurationVersion(this, 'FlagsOn', {
      applicationId: application.attrApplicationId,
      configurationProfileId: profile.attrConfigurationProfileId,
      contentType: 'application/json',
      content: sampleFlagsDocument(),
    });
    // Zero bake: the predefined AllAtOnce bakes for 10 minutes, and Tourniquet must find the flag's deployment complete.
    const strategy = new appconfig.CfnDeploymentStrategy(this, 'Immediate', {
      name: `${names.application}-immediate`,
      deploymentDurationInMinutes: 0,
      growthFactor: 100,
      finalBakeTimeInMinutes: 0,
      replicateTo: 'NONE',
    });
    // The deployment that "turned the flag on": Tourniquet's triage finds it inside the change window.
    new appconfig.CfnDeployment(this, 'Deployment', {
      applicationId: application.attrApplicationId,
      environmentId: environment.attrEnvironmentId,
      configurationProfileId: profile.attrConfigurationProfileId,
      configurationVersion: version.attrVersionNumber,
      deploymentStrategyId: strategy.attrId,
    });

    this.alarm = new cloudwatch.Alarm(this, 'CheckoutErrors', {
      alarmName: names.alarmName,
      alarmDescription: 'Tourniquet real-AWS test: the sample checkout reports errors',
      metric: new cloudwatch.Metric({
        namespace: SAMPLE_METRIC_NAMESPACE,
        metricName: SAMPLE_METRIC_NAME,
        dimensionsMap: names.dimensions,
        statistic: 'Sum',
        period: Duration.minutes(1),
      }),
      threshold: SAMPLE_ALARM_THRESHOLD,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      datapointsToAlarm: 1,
      // No errors reported is healthy: once the test stops putting data, the alarm returns to OK.
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });

    new CfnOutput(this, SAMPLE_OUTPUTS.applicationId, { value: application.attrApplicationId });
    new CfnOutput(this, SAMPLE_OUTPUTS.environmentId, { value: environment.attrEnvironmentId });
    new CfnOutput(this, SAMPLE_OUTPUTS.configurationProfileId, { value: profile.attrConfigurationProfileId });
    new CfnOutput(this, SAMPLE_OUTPUTS.hostedVersion, { value: version.attrVersionNumber });
    new CfnOutput(this, SAMPLE_OUTPUTS.alarmName, { value: this.alarm.alarmName });
  }
}
