#!/usr/bin/env node
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';

import { addTourniquetStack } from '../lib/app.js';
import { loadConfigOrExit } from './config-file.js';

/** CDK entry point of the central stack: `npx cdk synth [-c tourniquet:configFile=path]`. */
const app = new App();
addTourniquetStack(app, loadConfigOrExit(app).config);
// cdk-nag 3 is a policy-validation plugin: any unacknowledged AwsSolutions finding fails synth.
Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
