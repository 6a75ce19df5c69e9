/** How `fabricscope observe` prints a flow: compact (one line), json (one object a line), table. */

export const outputs = ['compact', 'json', 'table'] as const;
export type Output = (typeof outputs)[number];

/** The Flow fields observe asks for. */
export const FLOW_FIELDS = [
  'time',
  'flowUuid',
  'vrouter',
  'direction',
  'sourceVn',
  'sourceIp',
  'sourcePort',
  'sourceNamespace',
  'sourceWorkload',
  'destVn',
  'destIp',
  'destPort',
  'destNamespace',
  'destWorkload',
  'protocol',
  'action',
  'dropReason',
  'sgRuleUuid',
  'nwAceUuid',
] as const;

/** The rules a flow names, resolved to their group or policy and text (Flow.sgRule, Flow.nwAce). */
export const RULE_FIELDS = 'sgRule { owner number text } nwAce { owner number text }';

interface RuleRef {
  owner: string | null;
  number: number | null;
  text: string;
}

export type ObservedFlow = Record<(typeof FLOW_FIELDS)[number], string | number> & {
  sgRule?: RuleRef | null;
  nwAce?: RuleRef | null;
};

/** A rule as people name it (`default:admin:web` #2: its text), or its UUID when not resolved. */
const ruleName = (kind: string, uuid: string | number, rule: RuleRef | null | undefined): string | false => {
  if (!uuid) return false;
  if (!rule) return `${kind} ${uuid}`;
  const owner = rule.owner ? `${rule.owner}${rule.number ? ` #${rule.number}` : ''}: ` : '';
  return `${kind} ${owner}${rule.text}`;
};

const PROTOCOLS: Record<number, string> = {
  1: 'ICMP',
  6: 'TCP',
  17: 'UDP',
  47: 'GRE',
  50: 'ESP',
  58: 'ICMPv6',
  132: 'SCTP',
};

/** Hubble's verdicts for TF's actions: what passes is forwarded, what is denied or dropped is dropped. */
const VERDICTS: Record<string, string> = {
  pass: 'FORWARDED',
  nat: 'FORWARDED',
  mirror: 'FORWARDED',
  deny: 'DROPPED',
  drop: 'DROPPED',
};
export const verdictOf = (action: string): string => VERDICTS[action] ?? action.toUpperCase();

const COLOURS: Record<string, string> = { FORWARDED: '\u001b[32m', DROPPED: '\u001b[31m' };
const RESET = '\u001b[0m';

const endpoint = (
  ip: string | number,
  port: string | number,
  namespace: string | number,
  workload: string | number,
) => {
  const address = String(ip).includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`;
  if (!workload) return address;
  return `${namespace ? `${namespace}/` : ''}${workload} (${address})`;
};

/** Dec  2 07:25:43.589 as hubble prints it (UTC). */
function shortTime(rfc3339: string): string {
  const at = new Date(rfc3339);
  const month = at.toLocaleString('en-US', { month: 'short', timeZone: 'UTC' });
  return `${month} ${String(at.getUTCDate()).padStart(2, ' ')} ${rfc3339.slice(11, 23)}`;
}

/** The flow's verdict and why: the drop reason, the rule or policy entry that decided. */
function verdictText(flow: ObservedFlow, colour: boolean): string {
  const verdict = verdictOf(String(flow.action));
  const coloured = colour && COLOURS[verdict] ? `${COLOURS[verdict]}${verdict}${RESET}` : verdict;
  const why = [
    flow.dropReason,
    ruleName('sg-rule', flow.sgRuleUuid, flow.sgRule),
    ruleName('policy', flow.nwAceUuid, flow.nwAce),
  ]
    .filter(Boolean)
    .join(', ');
  return why ? `${coloured} (${why})` : coloured;
}

const protocolName = (n: string | number): string => PROTOCOLS[Number(n)] ?? `proto ${n}`;

export function compactLine(flow: ObservedFlow, colour: boolean): string {
  const from = endpoint(flow.sourceIp, flow.sourcePort, flow.sourceNamespace, flow.sourceWorkload);
  const to = endpoint(flow.destIp, flow.destPort, flow.destNamespace, flow.destWorkload);
  return `${shortTime(String(flow.time))} ${flow.vrouter} ${flow.direction}: ${from} -> ${to} ${protocolName(flow.protocol)} ${verdictText(flow, colour)}`;
}

const TABLE = [
  ['TIME', (f: ObservedFlow) => shortTime(String(f.time)), 19],
  ['VROUTER', (f: ObservedFlow) => String(f.vrouter), 12],
  [
    'SOURCE',
    (f: ObservedFlow) => endpoint(f.sourceIp, f.sourcePort, f.sourceNamespace, f.sourceWorkload),
    44,
  ],
  ['DESTINATION', (f: ObservedFlow) => endpoint(f.destIp, f.destPort, f.destNamespace, f.destWorkload), 44],
  ['PROTO', (f: ObservedFlow) => protocolName(f.protocol), 6],
  ['VERDICT', (f: ObservedFlow) => verdictOf(String(f.action)), 9],
  ['REASON', (f: ObservedFlow) => String(f.dropReason), 0],
] as const;

export const tableHeader = (): string =>
  TABLE.map(([name, , width]) => name.padEnd(width))
    .join('  ')
    .trimEnd();

/** A table row; columns are fixed-width so that followed rows line up with the header. */
export function tableRow(flow: ObservedFlow, colour: boolean): string {
  return TABLE.map(([name, cell, width]) => {
    const text = cell(flow).padEnd(width);
    const verdict = name === 'VERDICT' ? COLOURS[cell(flow)] : undefined;
    return colour && verdict ? `${verdict}${text}${RESET}` : text;
  })
    .join('  ')
    .trimEnd();
}

/** A printer of flows in one output: the table's header first. */
export function printer(
  output: Output,
  colour: boolean,
  write: (line: string) => void,
): (flow: ObservedFlow) => void {
  if (output === 'json') return (flow) => write(JSON.stringify(flow));
  if (output === 'compact') return (flow) => write(compactLine(flow, colour));
  write(tableHeader());
  return (flow) => write(tableRow(flow, colour));
}
