/**
 * A team's CDK app that embeds Tourniquet (docs/embedding.md): it defines its own alarm and hosted
 * zone and hands them to the construct as objects, not names. It imports the package by its name, as
 * an app that installed it would (here Node resolves `tourniquet` to this repository's dist/ through
 * the package's `exports`: run `npm run build` first).
 *
 *   npm run build && npx tsx examples/embedded-app/app.ts   # writes examples/embedded-app/cdk.out
 */
import { App, Duration, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as route53 from 'aws-cdk-lib/aws-route53';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { Construct } from 'constructs';
import { Tourniquet } from 'tourniquet';

/** The team's stack: its checkout service's alarm and DNS, and Tourniquet watching them. */
export class CheckoutStack extends Stack {
  public readonly tourniquet: Tourniquet;

  constructor(scope: Construct, id: string, props?: StackProps) {
    super(scope, id, props);

    // No alarmName: CloudFormation names the alarm, and Tourniquet gets the name at deploy time.
    const errors = new cloudwatch.Alarm(this, 'CheckoutErrors', {
      metric: new cloudwatch.Metric({ namespace: 'Checkout', metricName: 'Errors', statistic: 'Sum', period: Duration.minutes(1) }),
      threshold: 5,
      evaluationPeriods: 2,
      alarmDescription: 'Checkout is failing orders',
    });
    const zone = new route53.PublicHostedZone(this, 'Zone', { zoneName: 'checkout.example.com' });

    this.tourniquet = new Tourniquet(this, 'Tourniquet', {
      config: {
        stage: 'checkout',
        notifications: { escalationEmails: ['oncall@example.com'] },
        services: [
          {
            name: 'checkout',
            severity: 'SEV2',
            runbook: 'https://wiki.example.com/runbooks/checkout',
            alarms: [{ name: errors, impact: 'Customers cannot complete checkout', summary: 'order errors' }],
            resources: {
              route53: {
                mode: 'health-check',
                hostedZoneId: zone,
                recordName: 'api.checkout.example.com',
                primaryHealthCheckId: '6f2a1c3e-4b5d-4e6f-8a7b-9c0d1e2f3a4b',
              },
            },
          },
        ],
      },
    });

    // The on-call role can run `tourniquet approve|reject|pause|resume|ack|resolve --stack CheckoutStack`.
    const onCall = new iam.Role(this, 'OnCall', { assumedBy: new iam.AccountRootPrincipal(), description: 'Checkout on-call' });
    this.tourniquet.grantOperate(onCall);
  }
}

const app = new App();
new CheckoutStack(app, 'CheckoutStack');
// The same AwsSolutions checks Tourniquet's own app runs (bin/app.ts): an unacknowledged finding fails synth.
Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
