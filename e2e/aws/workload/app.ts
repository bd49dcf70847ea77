#!/usr/bin/env node
import { App } from 'aws-cdk-lib';

import { sampleNames, SampleWorkloadStack, STAGE_CONTEXT } from './stack.js';

/**
 * The sample workload's CDK app, deployed and destroyed by `npm run test:aws` with
 * `npx cdk deploy --app "npx tsx e2e/aws/workload/app.ts" -c tourniquet-aws-test:stage=<stage>`.
 */
const app = new App();
const stage = app.node.tryGetContext(STAGE_CONTEXT);
if (typeof stage !== 'string' || !/^[a-z][a-z0-9-]{0,15}$/.test(stage)) {
  process.stderr.write(`e2e/aws/workload/app.ts: pass the run's stage with -c ${STAGE_CONTEXT}=<stage> (lowercase letters, digits and -, max 16)\n`);
  process.exit(2);
}
new SampleWorkloadStack(app, sampleNames(stage).stackName, { stage });
