import { describe, expect, it } from '@jest/globals';

import { AlarmRuleSyntaxError, evaluateAlarmRule, findRuleCycle, parseAlarmRule, ruleAlarmNames } from '../../../drill/sim/alarm-rule.js';

const evaluate = (rule: string, states: Record<string, string>) => evaluateAlarmRule(parseAlarmRule(rule), (a) => states[a] ?? 'OK');

describe('composite alarm rule language', () => {
  it('parses state functions with quoted, bare and ARN arguments', () => {
    expect(parseAlarmRule('ALARM("checkout 5xx (rate)")')).toEqual({ kind: 'state', state: 'ALARM', alarm: 'checkout 5xx (rate)' });
    expect(parseAlarmRule('OK(checkout-5xx-rate)')).toEqual({ kind: 'state', state: 'OK', alarm: 'checkout-5xx-rate' });
    expect(parseAlarmRule('INSUFFICIENT_DATA( "a" )')).toEqual({ kind: 'state', state: 'INSUFFICIENT_DATA', alarm: 'a' });
    expect(parseAlarmRule('ALARM("arn:aws:cloudwatch:us-east-1:123456789012:alarm:checkout-5xx-rate")')).toMatchObject({ alarm: 'checkout-5xx-rate' });
    expect(parseAlarmRule('ALARM(arn:aws:cloudwatch:us-east-1:123456789012:alarm:x)')).toMatchObject({ alarm: 'x' });
    expect(parseAlarmRule('ALARM("say \\"hi\\"")')).toMatchObject({ alarm: 'say "hi"' });
  });

  it('binds NOT tighter than AND, and AND tighter than OR; parentheses group', () => {
    expect(evaluate('ALARM(a) OR ALARM(b) AND ALARM(c)', { a: 'ALARM' })).toBe(true);
    expect(evaluate('(ALARM(a) OR ALARM(b)) AND ALARM(c)', { a: 'ALARM' })).toBe(false);
    expect(evaluate('NOT ALARM(a) AND ALARM(b)', { a: 'OK', b: 'ALARM' })).toBe(true);
    expect(evaluate('NOT (ALARM(a) AND ALARM(b))', { a: 'ALARM', b: 'ALARM' })).toBe(false);
    expect(evaluate('NOT NOT OK(a)', {})).toBe(true);
    expect(evaluate('TRUE AND NOT FALSE', {})).toBe(true);
    expect(evaluate('INSUFFICIENT_DATA(a)', {})).toBe(false);
    expect(parseAlarmRule('ALARM(a) OR ALARM(b) OR ALARM(c)')).toMatchObject({ kind: 'or', operands: [{}, {}, {}] });
  });

  it('accepts the rule of the classic composite notification fixture', () => {
    const rule = parseAlarmRule('ALARM("checkout-5xx-rate") OR ALARM("checkout-p99-latency")');
    expect(ruleAlarmNames(rule)).toEqual(['checkout-5xx-rate', 'checkout-p99-latency']);
  });

  it('lists each named alarm once, in order of first mention', () => {
    expect(ruleAlarmNames(parseAlarmRule('ALARM(b) AND (OK(a) OR NOT ALARM(b)) OR TRUE'))).toEqual(['b', 'a']);
  });

  it.each([
    ['', 'expected an expression but the rule ends', 1],
    ['ALARM(a) OR', 'expected an expression but the rule ends', 12],
    ['ALARM(a) XOR ALARM(b)', 'after a complete expression', 10],
    ['ALARM(a) ORDER ALARM(b)', 'after a complete expression', 10],
    ['alarm(a)', 'unexpected "a"', 1],
    ['WARN(a)', 'unknown function or keyword "WARN"', 1],
    ['ALARM("a)', 'unterminated quoted alarm name', 7],
    ['ALARM("")', 'empty alarm name', 7],
    ['ALARM(a', 'expected ")" but the rule ends', 8],
    ['(ALARM(a)', 'expected ")" but the rule ends', 10],
    ['ALARM()', 'expected an alarm name', 7],
    ['ALARM(a b)', 'expected ")"', 9],
  ])('refuses %j: %s', (rule, problem, column) => {
    const error = (() => {
      try {
        parseAlarmRule(rule);
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(AlarmRuleSyntaxError);
    expect((error as Error).name).toBe('AlarmRuleSyntaxError');
    expect((error as Error).message).toContain(problem);
    expect((error as Error).message).toContain(`at character ${column}`);
  });

  it('finds cycles among composites, and none in a DAG', () => {
    expect(
      findRuleCycle(
        new Map([
          ['a', ['m1', 'b']],
          ['b', ['m2']],
          ['c', ['a', 'b']],
        ]),
      ),
    ).toBeUndefined();
    expect(
      findRuleCycle(
        new Map([
          ['a', ['b']],
          ['b', ['c']],
          ['c', ['a']],
        ]),
      ),
    ).toEqual(['a', 'b', 'c', 'a']);
    expect(findRuleCycle(new Map([['a', ['a']]]))).toEqual(['a', 'a']);
  });
});
