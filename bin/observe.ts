import { errorMessage, FabricError, invalid } from '../common/errors.js';
import { graphqlEndpoint, queryServer } from './graphql-client.js';
import {
  FLOW_FIELDS,
  outputs,
  printer,
  RULE_FIELDS,
  type ObservedFlow,
  type Output,
} from './observe-format.js';

/**
 * `fabricscope observe`, in the spirit of `hubble observe`: flows from the GraphQL API, filtered as
 * the flags say. History through the flows query (oldest first), `--follow` through the flows
 * subscription over SSE. Every failure (the API unreachable, an error it answers) is a message on
 * stderr and a non-zero exit.
 */
export interface ObserveFlags {
  server: string;
  since?: string;
  until?: string;
  last?: string;
  follow?: boolean;
  fromPod?: string;
  toPod?: string;
  fromIp?: string[];
  toIp?: string[];
  namespace?: string[];
  vn?: string[];
  vrouter?: string[];
  verdict?: string[];
  dropReason?: string[];
  protocol?: string[];
  port?: string[];
  output: string;
}

/** The local query service (the default --http-port). */
export const DEFAULT_SERVER = 'http://localhost:8081';
/** Flows printed without --follow when neither --last nor --since says how many: hubble's 20. */
const DEFAULT_LAST = 20;
/** The most one flows query returns. */
const MAX_LAST = 1000;

type Filter = Record<string, (string | number)[]>;

/** Hubble's verdicts as TF's actions; an action named itself is taken as it is. */
const ACTIONS: Record<string, string[]> = { FORWARDED: ['pass', 'nat', 'mirror'], DROPPED: ['deny', 'drop'] };

/** `namespace/pod` or a pod name alone. */
function podFilter(end: 'source' | 'dest', value: string): Filter {
  const at = value.indexOf('/');
  if (at < 0) return { [`${end}Workload`]: [value] };
  return { [`${end}Namespace`]: [value.slice(0, at)], [`${end}Workload`]: [value.slice(at + 1)] };
}

/** The flags as one FlowFilter: every flag given must match, a repeated flag matches any value. */
export function flowFilter(flags: ObserveFlags): Filter {
  const filter: Filter = {
    ...(flags.fromPod ? podFilter('source', flags.fromPod) : {}),
    ...(flags.toPod ? podFilter('dest', flags.toPod) : {}),
  };
  const lists: [keyof ObserveFlags, string][] = [
    ['fromIp', 'sourceIp'],
    ['toIp', 'destIp'],
    ['namespace', 'namespace'],
    ['vn', 'vn'],
    ['vrouter', 'vrouter'],
    ['dropReason', 'dropReason'],
    ['protocol', 'protocol'],
  ];
  for (const [flag, field] of lists) {
    const values = flags[flag] as string[] | undefined;
    if (values?.length) filter[field] = values;
  }
  if (flags.port?.length) filter.port = flags.port.map((p) => portNumber(p));
  if (flags.verdict?.length)
    filter.action = flags.verdict.flatMap((v) => ACTIONS[v.toUpperCase()] ?? [v.toLowerCase()]);
  return filter;
}

function portNumber(text: string): number {
  if (!/^\d+$/.test(text) || Number(text) > 65535) throw invalid(`--port: "${text}" is not a port (0-65535)`);
  return Number(text);
}

function lastCount(flags: ObserveFlags): number {
  if (flags.last === undefined) return flags.since ? MAX_LAST : DEFAULT_LAST;
  const n = Number(flags.last);
  if (!Number.isInteger(n) || n < 1 || n > MAX_LAST)
    throw invalid(`--last: "${flags.last}" is not a count from 1 to ${MAX_LAST}`);
  return n;
}

const selection = `${FLOW_FIELDS.join(' ')} ${RULE_FIELDS}`;

export async function runObserve(flags: ObserveFlags): Promise<void> {
  if (!(outputs as readonly string[]).includes(flags.output))
    throw invalid(`--output: "${flags.output}" is not one of ${outputs.join(', ')}`);
  const filter = flowFilter(flags);
  const print = printer(flags.output as Output, Boolean(process.stdout.isTTY), (line) => console.log(line));
  // Following alone prints only what comes; asked for a window or a count, the history first.
  if (!flags.follow || flags.last !== undefined || flags.since !== undefined) {
    for (const flow of await history(flags, filter)) print(flow);
  }
  if (flags.follow) await follow(flags.server, filter, print);
}

async function history(flags: ObserveFlags, filter: Filter): Promise<ObservedFlow[]> {
  const query = `query Observe($from: String, $to: String, $filter: [FlowFilter!], $first: Int) {
    flows(from: $from, to: $to, filter: $filter, first: $first) { edges { node { ${selection} } } }
  }`;
  const variables = { from: flags.since, to: flags.until, filter: [filter], first: lastCount(flags) };
  const data = await queryServer<{ flows: { edges: { node: ObservedFlow }[] } }>(
    flags.server,
    query,
    variables,
  );
  // Newest first from the API: printed oldest first, as a log reads.
  return data.flows.edges.map((e) => e.node).reverse();
}

/** The flows subscription over SSE (graphql-yoga's protocol: `event: next` / `event: complete`). */
async function follow(server: string, filter: Filter, print: (flow: ObservedFlow) => void): Promise<void> {
  const query = `subscription Observe($filter: [FlowFilter!]) { flows(filter: $filter) { ${selection} } }`;
  const response = await openStream(server, { query, variables: { filter: [filter] } });
  const type = response.headers.get('content-type') ?? '';
  // Refused before it streams (a bad filter, a limit): an ordinary JSON answer.
  if (type.includes('json')) {
    const body = (await response.json()) as { errors?: { message: string }[] };
    throw answered(server, body.errors ?? [{ message: `HTTP ${response.status}` }]);
  }
  if (!type.includes('event-stream'))
    throw new FabricError(
      'UNAVAILABLE',
      `${server} answered HTTP ${response.status} ${type}: not fabricscope's GraphQL API`,
    );
  const decoder = new TextDecoder();
  let buffered = '';
  for await (const chunk of response.body as AsyncIterable<Uint8Array>) {
    buffered += decoder.decode(chunk, { stream: true });
    let end: number;
    while ((end = buffered.indexOf('\n\n')) >= 0) {
      const event = buffered.slice(0, end);
      buffered = buffered.slice(end + 2);
      if (/^event: complete$/m.test(event)) return;
      const data = /^data: (.*)$/m.exec(event)?.[1];
      if (!data) continue;
      const payload = JSON.parse(data) as { data?: { flows: ObservedFlow }; errors?: { message: string }[] };
      if (payload.errors?.length) throw answered(server, payload.errors);
      print(payload.data!.flows);
    }
  }
  throw new FabricError('UNAVAILABLE', `the GraphQL API at ${server} ended the stream`);
}

/** The subscription request; the API unreachable, or not answering with a stream, is said so. */
async function openStream(server: string, body: object): Promise<Response> {
  const url = graphqlEndpoint(server);
  try {
    return await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
      body: JSON.stringify(body),
    });
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause;
    throw new FabricError(
      'UNAVAILABLE',
      `cannot reach the GraphQL API at ${url.href}: ${cause?.code ?? errorMessage(err)} (is \`fabricscope start\` running there? see --server)`,
    );
  }
}

const answered = (server: string, errors: { message: string }[]): FabricError =>
  invalid(`the GraphQL API at ${server} answered: ${errors.map((e) => e.message).join('; ')}`);
