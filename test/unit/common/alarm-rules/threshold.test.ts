import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { RuleError, type RuleIssue } from '../../../../common/model/alarm-rules/parse.js';
import { parseThresholdRule } from '../../../../common/model/alarm-rules/threshold.js';

const examples = fileURLToPath(new URL('../../../../../deploy/threshold-rules/', import.meta.url));

const above = (operand1: string, operation: string, json_value: string) => ({
  or_list: [{ and_list: [{ operand1, operation, operand2: { json_value } }] }],
});

const flowsRule = (extra: Record<string, unknown> = {}) => ({
  name: 'denied',
  alarm_severity: 1,
  source: 'flows',
  window: '5m',
  aggregate: { function: 'count' },
  filter: [{ action: ['deny'] }],
  groupBy: 'DEST_NAMESPACE',
  alarm_rules: above('value', '>', '100'),
  ...extra,
});

function refusal(input: unknown): RuleIssue[] {
  try {
    parseThresholdRule(input);
  } catch (err) {
    assert.ok(err instanceof RuleError, String(err));
    return [...err.issues];
  }
  assert.fail('the rule was accepted');
}

const paths = (issues: RuleIssue[]) => issues.map((i) => i.path).sort();

describe('threshold rules', () => {
  it('reads every example shipped in deploy/threshold-rules', () => {
    const files = readdirSync(examples).filter((f) => f.endsWith('.json'));
    assert.equal(files.length, 3);
    const sources = files.map((f) => parseThresholdRule(JSON.parse(readFileSync(join(examples, f), 'utf8'))));
    assert.deepEqual(sources.map((r) => r.query.source).sort(), ['flows', 'interface_stats', 'routes']);
  });

  it('reads a flow rule: the query, the window, the TF part keyed by the source', () => {
    const rule = parseThresholdRule(flowsRule({ interval: '30s', exclude: [{ destPort: [53] }] }));
    assert.deepEqual(rule.query, {
      source: 'flows',
      filter: [{ action: ['deny'] }],
      exclude: [{ destPort: [53] }],
      groupBy: 'DEST_NAMESPACE',
      aggregate: { function: 'sum', of: 'records' },
    });
    assert.equal(rule.windowSeconds, 300);
    assert.equal(rule.intervalSeconds, 30);
    assert.equal(rule.readsPrevious, false);
    assert.equal(rule.rule.fqName, 'default-global-system-config:denied');
    assert.deepEqual(rule.rule.uveKeys, [{ type: 'flows' }]);
    // The interval defaults to the window, at most a minute.
    assert.equal(parseThresholdRule(flowsRule({ window: '20s' })).intervalSeconds, 20);
    assert.equal(parseThresholdRule(flowsRule()).intervalSeconds, 60);
  });

  it('knows when the window before is read: previous or ratio in any condition', () => {
    const ratio = parseThresholdRule(flowsRule({ alarm_rules: above('ratio', '<=', '0.5') }));
    assert.equal(ratio.readsPrevious, true);
  });

  it('refuses faults of the threshold part with their paths', () => {
    const issues = refusal(
      flowsRule({
        window: '5 minutes',
        interval: '1500ms',
        aggregate: { function: 'sum' },
        filter: [{ action: ['allow'], color: ['red'], destPort: [70000] }],
        groupBy: 'NAMESPACE',
      }),
    );
    assert.deepEqual(paths(issues), [
      'aggregate.of',
      'filter[0].action',
      'filter[0].color',
      'filter[0].destPort',
      'groupBy',
      'interval',
      'window',
    ]);
    const action = issues.find((i) => i.path === 'filter[0].action');
    assert.match(action!.message, /"allow" is not one of pass, deny, drop, nat, mirror/);
  });

  it('refuses an unknown source, uve_keys, and faults of the other sources', () => {
    assert.deepEqual(paths(refusal(flowsRule({ source: 'uves' }))), ['source']);
    assert.deepEqual(paths(refusal(flowsRule({ uve_keys: { uve_key: ['vrouter'] } }))), ['uve_keys']);
    const interfaces = refusal({
      ...flowsRule(),
      source: 'interface_stats',
      aggregate: { function: 'count', of: 'drops' },
      filter: { vmi: ['not-a-uuid'] },
      groupBy: 'VRF',
    });
    assert.deepEqual(paths(interfaces), ['aggregate.function', 'filter.vmi', 'groupBy']);
    const routes = refusal({ ...flowsRule(), source: 'routes', filter: { vn: ['x'] }, groupBy: 'VRF' });
    assert.deepEqual(paths(routes), ['filter', 'filter.vrf']);
  });

  it('refuses conditions a threshold cannot mean, and the TF faults parseRule finds', () => {
    const issues = refusal(
      flowsRule({
        alarm_rules: {
          or_list: [
            {
              and_list: [
                { operand1: 'NodeStatus.x', operation: '>', operand2: { json_value: '1' } },
                { operand1: 'value', operation: 'in', operand2: { json_value: '[1]' } },
                { operand1: 'value', operation: '>', operand2: { json_value: '"a"' } },
                { operand1: 'value', operation: '<', operand2: { uve_attribute: 'other' } },
                { operand1: 'value', operation: '>', operand2: { json_value: '1' }, variables: ['ratio'] },
              ],
            },
          ],
        },
      }),
    );
    const at = 'alarm_rules.or_list[0].and_list';
    assert.deepEqual(paths(refusal(flowsRule({ alarm_severity: 5 }))), ['alarm_severity']);
    assert.deepEqual(paths(issues), [
      `${at}[0].operand1`,
      `${at}[1].operand2.json_value`,
      `${at}[1].operation`,
      `${at}[2].operand2.json_value`,
      `${at}[3].operand2.uve_attribute`,
      `${at}[4].variables`,
    ]);
  });
});
