import { describe, expect, it } from '@jest/globals';

import { checkScenario, type ScenarioInput } from '../../drill/scenario.js';
import { fixtureAccount, scenarioInput } from './sim/fixture.js';

/** account.compositeAlarms: shape, references, cycles, and the account built from it. */

const withComposites = (composites: { name: string; rule: string; description?: string }[]): ScenarioInput => {
  const input = scenarioInput();
  input.account.compositeAlarms = composites;
  return input;
};
const problems = (input: ScenarioInput) => {
  const checked = checkScenario(input);
  return checked.ok ? [] : checked.problems;
};

describe('scenario account.compositeAlarms', () => {
  it('accepts composites over metric alarms and other composites, and defaults to none', () => {
    expect(
      problems(
        withComposites([
          { name: 'checkout-unhealthy', rule: 'ALARM("checkout-5xx-rate") OR FALSE', description: 'Any checkout alarm' },
          { name: 'shop-unhealthy', rule: 'ALARM(checkout-unhealthy)' },
        ]),
      ),
    ).toEqual([]);
    const plain = checkScenario(scenarioInput());
    expect(plain.ok && plain.scenario.account.compositeAlarms).toEqual([]);
  });

  it('lets the drill fire a composite alarm', () => {
    const input = withComposites([{ name: 'checkout-unhealthy', rule: 'ALARM("checkout-5xx-rate")' }]);
    input.alarm = 'checkout-unhealthy';
    expect(problems(input)).toEqual([]);
    input.alarm = 'ghost';
    expect(problems(input)).toEqual([{ path: 'alarm', message: 'alarm "ghost" is not declared in account.alarms or account.compositeAlarms' }]);
  });

  it('names each rule that does not parse or names an undeclared alarm', () => {
    expect(
      problems(
        withComposites([
          { name: 'a', rule: 'ALARM("checkout-5xx-rate") OR' },
          { name: 'b', rule: 'ALARM("checkout-5xx-rate") AND ALARM(ghost)' },
        ]),
      ),
    ).toEqual([
      { path: 'account.compositeAlarms[0].rule', message: expect.stringContaining('expected an expression but the rule ends at character 30') },
      { path: 'account.compositeAlarms[1].rule', message: 'alarm "ghost" is not declared in account.alarms or account.compositeAlarms' },
    ]);
  });

  it('refuses a cycle and a name taken by another alarm', () => {
    expect(
      problems(
        withComposites([
          { name: 'a', rule: 'ALARM(b)' },
          { name: 'b', rule: 'ALARM(a) OR ALARM("checkout-5xx-rate")' },
          { name: 'checkout-5xx-rate', rule: 'TRUE' },
        ]),
      ),
    ).toEqual([
      { path: 'account.compositeAlarms[2].name', message: 'duplicate alarm "checkout-5xx-rate"' },
      { path: 'account.compositeAlarms', message: 'composite alarms form a cycle: a → b → a' },
    ]);
  });

  it('builds the composites into the simulated account', () => {
    const account = fixtureAccount((s) => {
      s.account.compositeAlarms = [{ name: 'checkout-unhealthy', rule: 'ALARM("checkout-5xx-rate")', description: 'Any checkout alarm' }];
    });
    expect(account.cloudwatch.alarmNames()).toEqual(['checkout-5xx-rate', 'checkout-unhealthy']);
    expect(account.snapshot().cloudwatch.alarms[1]).toMatchObject({ name: 'checkout-unhealthy', rule: 'ALARM("checkout-5xx-rate")', state: 'OK' });
  });
});
