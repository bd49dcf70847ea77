import { type Scenario, type ScenarioInput, ScenarioSchema } from '../../../drill/scenario.js';
import { SimulatedAccount } from '../../../drill/sim/account.js';

/** Topic ARNs the fixture account knows. */
export const STATUS_TOPIC = 'arn:aws:sns:us-east-1:123456789012:tourniquet-prod-status';
export const ESCALATION_TOPIC = 'arn:aws:sns:us-east-1:123456789012:tourniquet-prod-escalation';

export const APP = 'chk4app';
export const ENV = 'prd5env';
export const PROFILE = 'flg6prf';
export const IMMEDIATE = 'imm0str';
/** 10:00:00 UTC: on a minute boundary, so period buckets are easy to reason about. */
export const START = '2026-11-23T10:00:00.000Z';

/** A small scenario: v1 all flags off (deployed), v2 turns new-checkout-flow on (8% errors), checkout:42 adds 10%. */
export function scenarioInput(): ScenarioInput {
  return {
    name: 'fixture',
    description: 'test fixture',
    startsAt: START,
    alarm: 'checkout-5xx-rate',
    account: {
      appconfig: {
        application: { id: APP, name: 'checkout' },
        environment: { id: ENV, name: 'production' },
        profile: { id: PROFILE, name: 'checkout-flags' },
        flags: { 'new-checkout-flow': 'New checkout flow', 'express-pay': 'Express pay', 'serve-cached-recommendations': 'Serve cached recommendations' },
        versions: [
          { values: { 'new-checkout-flow': false, 'express-pay': true } },
          { values: { 'new-checkout-flow': true, 'express-pay': true }, description: 'Launch the new flow' },
        ],
        deployed: { version: 1, at: '-24:00' },
        immediateStrategy: { id: IMMEDIATE, name: 'tourniquet-immediate' },
        propagationSeconds: 45,
      },
      ecs: {
        cluster: 'shop-prod',
        taskDefinitions: ['checkout:41', 'checkout:42'],
        services: [{ name: 'checkout', taskDefinition: 'checkout:41', desiredCount: 4 }],
        deploymentSeconds: 120,
      },
      alarms: [{ name: 'checkout-5xx-rate', service: 'checkout', threshold: 5, periodSeconds: 60, evaluationPeriods: 3, datapointsToAlarm: 3 }],
      health: {
        checkout: {
          baselineErrorRatePercent: 0.5,
          faults: [
            { description: 'new flow breaks gift cards', errorRatePercent: 8, when: { flagEnabled: 'new-checkout-flow' } },
            { description: 'checkout:42 leaks connections', errorRatePercent: 10, when: { taskDefinitionRunning: 'checkout:42' } },
          ],
        },
      },
    },
    history: [],
    expect: { restored: true, actions: ['feature-flag-off'], escalated: false },
  };
}

/** Parses the fixture (optionally edited first) into a Scenario. */
export function fixtureScenario(edit?: (s: ScenarioInput) => void): Scenario {
  const input = scenarioInput();
  edit?.(input);
  return ScenarioSchema.parse(input);
}

/** A fresh simulated account over the fixture scenario. */
export function fixtureAccount(edit?: (s: ScenarioInput) => void): SimulatedAccount {
  return SimulatedAccount.fromScenario(fixtureScenario(edit), { topicArns: [STATUS_TOPIC, ESCALATION_TOPIC] });
}

/** START + seconds, as a Date. */
export function at(seconds: number): Date {
  return new Date(new Date(START).getTime() + seconds * 1000);
}
