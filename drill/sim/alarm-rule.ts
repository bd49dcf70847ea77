/**
 * CloudWatch's composite alarm rule language: `ALARM("name")`, `OK("name")`,
 * `INSUFFICIENT_DATA("name")` (the name may be unquoted when it has no spaces or parentheses,
 * and may be an alarm ARN), `TRUE`, `FALSE`, `NOT`, `AND`, `OR` and parentheses. NOT binds
 * tightest, then AND, then OR, as in the examples of the PutCompositeAlarm reference.
 */

/** A state function's argument names one alarm in one of these states. */
export type RuleState = 'ALARM' | 'OK' | 'INSUFFICIENT_DATA';

/** A parsed alarm rule. */
export type AlarmRule =
  | { readonly kind: 'constant'; readonly value: boolean }
  | { readonly kind: 'state'; readonly state: RuleState; readonly alarm: string }
  | { readonly kind: 'not'; readonly operand: AlarmRule }
  | { readonly kind: 'and' | 'or'; readonly operands: readonly AlarmRule[] };

/** PutCompositeAlarm's limit on AlarmRule. */
export const MAX_ALARM_RULE_CHARS = 10_240;

/** The rule does not parse; `position` is the 0-based character offset of the problem. */
export class AlarmRuleSyntaxError extends Error {
  override readonly name = 'AlarmRuleSyntaxError';
  constructor(
    readonly rule: string,
    readonly position: number,
    problem: string,
    options?: { cause?: unknown },
  ) {
    super(`alarm rule ${JSON.stringify(rule.length > 200 ? `${rule.slice(0, 200)}…` : rule)}: ${problem} at character ${position + 1}`, options);
  }
}

const STATES: ReadonlySet<string> = new Set<RuleState>(['ALARM', 'OK', 'INSUFFICIENT_DATA']);
const WORD = /[A-Z_]+/y;
const BARE_NAME = /[^\s()"]+/y;
const ALARM_ARN = /^arn:[^:]+:cloudwatch:[^:]*:\d{12}:alarm:(.+)$/;

/** An ARN in a state function names the alarm after `:alarm:`. */
export function alarmNameOfReference(reference: string): string {
  return ALARM_ARN.exec(reference)?.[1] ?? reference;
}

/** Parses a rule; throws AlarmRuleSyntaxError with the position of the first problem. */
export function parseAlarmRule(rule: string): AlarmRule {
  if (rule.length > MAX_ALARM_RULE_CHARS) throw new AlarmRuleSyntaxError(rule, MAX_ALARM_RULE_CHARS, `longer than ${MAX_ALARM_RULE_CHARS} characters`);
  let pos = 0;
  const fail = (problem: string, at = pos): never => {
    throw new AlarmRuleSyntaxError(rule, at, problem);
  };
  const skipSpace = () => {
    while (pos < rule.length && /\s/.test(rule[pos]!)) pos++;
  };
  const word = (): string | undefined => {
    skipSpace();
    WORD.lastIndex = pos;
    const m = WORD.exec(rule);
    return m?.[0];
  };
  const expect = (char: string) => {
    skipSpace();
    if (rule[pos] !== char) fail(pos >= rule.length ? `expected "${char}" but the rule ends` : `expected "${char}"`);
    pos++;
  };

  const alarmReference = (): string => {
    skipSpace();
    if (rule[pos] === '"') {
      const start = pos++;
      let name = '';
      while (pos < rule.length && rule[pos] !== '"') {
        if (rule[pos] === '\\' && pos + 1 < rule.length) pos++;
        name += rule[pos++];
      }
      if (pos >= rule.length) fail('unterminated quoted alarm name', start);
      pos++;
      if (name === '') fail('empty alarm name', start);
      return alarmNameOfReference(name);
    }
    BARE_NAME.lastIndex = pos;
    const m = BARE_NAME.exec(rule);
    if (!m) fail('expected an alarm name');
    pos += m![0].length;
    return alarmNameOfReference(m![0]);
  };

  const primary = (): AlarmRule => {
    skipSpace();
    if (rule[pos] === '(') {
      pos++;
      const inner = or();
      expect(')');
      return inner;
    }
    const start = pos;
    const w = word();
    if (w === undefined) return fail(pos >= rule.length ? 'expected an expression but the rule ends' : `unexpected "${rule[pos]}"`);
    pos += w.length;
    if (w === 'TRUE' || w === 'FALSE') return { kind: 'constant', value: w === 'TRUE' };
    if (!STATES.has(w)) return fail(`unknown function or keyword "${w}" (expected ALARM, OK, INSUFFICIENT_DATA, TRUE, FALSE or NOT)`, start);
    expect('(');
    const alarm = alarmReference();
    expect(')');
    return { kind: 'state', state: w as RuleState, alarm };
  };

  const keyword = (k: 'NOT' | 'AND' | 'OR'): boolean => {
    const w = word();
    // A keyword must end at a non-word character: "ORDER" is not OR.
    if (w !== k) return false;
    pos += k.length;
    return true;
  };

  const not = (): AlarmRule => (keyword('NOT') ? { kind: 'not', operand: not() } : primary());

  const and = (): AlarmRule => {
    const operands = [not()];
    while (keyword('AND')) operands.push(not());
    return operands.length === 1 ? operands[0]! : { kind: 'and', operands };
  };

  function or(): AlarmRule {
    const operands = [and()];
    while (keyword('OR')) operands.push(and());
    return operands.length === 1 ? operands[0]! : { kind: 'or', operands };
  }

  const parsed = or();
  skipSpace();
  if (pos < rule.length) fail(`unexpected "${rule.slice(pos, pos + 20)}" after a complete expression`);
  return parsed;
}

/** The alarms a rule names, each once, in order of first mention. */
export function ruleAlarmNames(rule: AlarmRule): string[] {
  const names = new Set<string>();
  const visit = (node: AlarmRule): void => {
    if (node.kind === 'state') names.add(node.alarm);
    else if (node.kind === 'not') visit(node.operand);
    else if (node.kind === 'and' || node.kind === 'or') node.operands.forEach(visit);
  };
  visit(rule);
  return [...names];
}

/** Evaluates a rule; `stateOf` answers the current state of each named alarm. */
export function evaluateAlarmRule(rule: AlarmRule, stateOf: (alarm: string) => string): boolean {
  switch (rule.kind) {
    case 'constant':
      return rule.value;
    case 'state':
      return stateOf(rule.alarm) === rule.state;
    case 'not':
      return !evaluateAlarmRule(rule.operand, stateOf);
    case 'and':
      return rule.operands.every((r) => evaluateAlarmRule(r, stateOf));
    case 'or':
      return rule.operands.some((r) => evaluateAlarmRule(r, stateOf));
  }
}

/**
 * The first cycle among composite alarms, as a path of names that returns to its start
 * (`["a", "b", "a"]`), or undefined. `children` lists the alarms each composite's rule names.
 */
export function findRuleCycle(children: ReadonlyMap<string, readonly string[]>): string[] | undefined {
  const done = new Set<string>();
  const onPath: string[] = [];
  const visit = (name: string): string[] | undefined => {
    const at = onPath.indexOf(name);
    if (at >= 0) return [...onPath.slice(at), name];
    if (done.has(name) || !children.has(name)) return undefined;
    onPath.push(name);
    for (const child of children.get(name)!) {
      const cycle = visit(child);
      if (cycle) return cycle;
    }
    onPath.pop();
    done.add(name);
    return undefined;
  };
  for (const name of children.keys()) {
    const cycle = visit(name);
    if (cycle) return cycle;
  }
  return undefined;
}
