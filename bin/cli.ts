import { Command, Option } from 'commander';
import { configMarkdown, loadConfig, printableConfig, type RawConfig } from '../common/config.js';
import { options, type ConfigKey } from './config.js';
import { errorMessage } from '../common/errors.js';
import { configureLogging } from '../common/log.js';
import { parseServices, startServices } from './pipeline.js';
import { EVENT_KINDS } from '../simulator/index.js';
import { runSimulate } from './simulate.js';
import { runWebhookReceiver } from './webhook-receiver.js';
import { DEFAULT_SERVER, runObserve } from './observe.js';
import { outputs } from './observe-format.js';
import { runWhy } from './why.js';

const program = new Command('fabricscope').description(
  'Analytics and observability pipeline for Tungsten Fabric-style SDN fabrics',
);

/** Every config option is also a flag of `start`, spelled as in the config table. */
function addConfigFlags(command: Command): Command {
  for (const opt of Object.values(options)) command.addOption(new Option(`--${opt.flag} <value>`, opt.help));
  return command.option('--config <file>', 'JSON config file (also FABRICSCOPE_CONFIG)');
}

function flagsOf(command: Command): RawConfig {
  const given = command.opts<Record<string, unknown>>();
  const flags: RawConfig = {};
  for (const key of Object.keys(options) as ConfigKey[])
    if (given[key] !== undefined) flags[key] = given[key];
  return flags;
}

addConfigFlags(program.command('start'))
  .argument('[services...]', 'all (default), or any of collector, writer, query, alarms')
  .description(
    'Start the pipeline; by default everything in one process on the in-process bus and embedded chdb, ' +
      'or the services named, sharing Kafka (--kafka-brokers) and a warehouse (--clickhouse-url)',
  )
  .action(async (names: string[], _opts, command: Command) => {
    const config = loadConfig(
      options,
      flagsOf(command),
      process.env,
      command.opts<{ config?: string }>().config ?? process.env.FABRICSCOPE_CONFIG,
    );
    configureLogging(config.logLevel);
    const run = parseServices(names);
    const pipeline = await startServices(config, run);
    const host = config.httpHost === '0.0.0.0' ? 'localhost' : config.httpHost;
    const grpc = pipeline.grpcPort === undefined ? 'off' : `${config.grpcHost}:${pipeline.grpcPort}`;
    const graphql = run.includes('query') ? `http://${host}:${pipeline.httpPort}/graphql` : 'off';
    console.log(
      `fabricscope ready (${run.join(', ')}): gRPC ${grpc}, GraphQL ${graphql}, metrics http://${host}:${pipeline.httpPort}/metrics`,
    );
    const stop = (): void => void pipeline.close().then(() => process.exit(0));
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });

program
  .command('simulate')
  .description(
    'Publish a simulated fabric to a collector: the state (UVEs, routes) of its vRouter agents, ' +
      'control nodes and config node first, then vRouter flows, and interface stats and events when asked',
  )
  .requiredOption('--target <host:port>', 'collector gRPC address')
  .option(
    '--vrouters <n>',
    'simulated vRouter agents (two control nodes and a config node come with them)',
    '4',
  )
  .option('--flows <n>', 'stop once this many flow records are acked (0: no flows)')
  .option(
    '--duration <time>',
    'run this long, e.g. 30s or 5m: the fabric stays connected (state, samples, faults) until then',
  )
  .option(
    '--rate <records/s>',
    'send at most this many flow records per second (0: as fast as possible)',
    '0',
  )
  .option('--batch-size <n>', 'records per batch', '5000')
  .option('--token <token>', 'token to present in Hello')
  .option('--seed <n>', 'seed of the simulated fabric (same seed, same fabric)', '1')
  .option(
    '--first-vrouter <n>',
    'number of the first vRouter (compute-<n>): simulators with apart ranges feed one collector as more vRouters (give all but one --no-state)',
    '0',
  )
  .option('--no-state', 'do not publish UVEs and routes before the flows')
  .option('--ifstats <n>', 'interface-stats samples per interface, one per --ifstats-interval')
  .option('--ifstats-interval <time>', 'time between interface-stats samples (alone: sample until the end)')
  .option(
    '--events <list>',
    `faults to play, comma-separated, each kind or kind@host: ${EVENT_KINDS.join(', ')}`,
  )
  .option('--event-duration <time>', 'how long each fault lasts (default: per event, below)')
  .addHelpText(
    'after',
    `
State: every vRouter agent publishes its VrouterAgent, NodeStatus, VrouterStatsAgent,
UveVirtualNetworkAgent, UveVirtualMachineAgent, UveVMInterfaceAgent (workload identity) and VMIStats
UVEs; every control node its BgpRouterState, NodeStatus, BgpPeerInfoData and XmppPeerInfoData UVEs
and its routes (a host route per workload, an ECMP route per Kubernetes service, the SDN gateway's
default route); the config node its NodeStatus, every node's ContrailConfig and the tenants' (security
groups and their rules, network policies, networks and VRFs, interfaces, load balancers). The healthy fabric
raises none of Tungsten Fabric's system alarms; each event raises its own while it lasts.
Flows start once the collector has answered all of it. With --flows the run ends when the flows are acked and the
samples and events asked for are through, unless --duration says how long it lasts. When the generators
disconnect, the collector withdraws their state after its --generator-grace (30s), as Tungsten Fabric
does: keep a run going (--duration, or no --flows, until Ctrl-C) while you look at it. A target that
answers no Hello within 10s is an error.

Events (played one after the other once the state is published, the first after 1s; the default
node, its duration, and the alarms raised):
  process-down        compute-0 (3s): its agent exits, then runs again (process-status,
                      process-connectivity)
  bgp-flap            control-1 (2s): its BGP session to the SDN gateway goes Idle, Active,
                      Established; the gateway's default routes withdrawn and re-added
                      (bgp-connectivity)
  vrouter-disconnect  the last vRouter (5s): its stream closes and stays closed, then it reconnects
                      and resends its UVEs (xmpp-connectivity; node-status once withdrawn)
  vrouter-restart     compute-1 (1s): as vrouter-disconnect, its agent restarted and its interface
                      counters reset
  disk-full           config-1 (4s): its data partition 82%, then 96% full (disk-usage-high, then
                      disk-usage-critical)
  core-dump           control-2 (3s): its main process crashes and leaves a core file (core-files)
  interface-down      compute-0 (2s): its first interface goes down (vrouter-interface)
  vrouter-limit       compute-0 (2s): next hops beyond their watermark, then their table full
                      (vrouter-limit-exceeded, vrouter-table-limit-exceeded)

Examples:
  fabricscope simulate --target localhost:50051 --flows 100000
  fabricscope simulate --target localhost:50051 --flows 0 --ifstats 5 --events bgp-flap,process-down@control-2`,
  )
  .action(runSimulate);

program
  .command('webhook-receiver')
  .description(
    'Receive alarm webhooks: verify each signature and its timestamp, print each notification as a JSON line',
  )
  .addOption(
    new Option('--secret <secret>', "the receiver's secret, as in --alarm-webhooks")
      .env('FABRICSCOPE_WEBHOOK_SECRET')
      .makeOptionMandatory(),
  )
  .option('--host <address>', 'address to listen on', '127.0.0.1')
  .option('--port <port>', 'port to listen on (0 picks a free one)', '9099')
  .option('--tolerance <seconds>', 'how far a signed timestamp may be from now (replay window)', '300')
  .action(runWebhookReceiver);

const many = (value: string, previous: string[] = []): string[] => [...previous, ...value.split(',')];

program
  .command('observe')
  .description(
    'Print flows as hubble observe does: the last ones stored, or with --follow those acked from now on',
  )
  .option('--server <url>', 'the query service (its base URL or /graphql)', DEFAULT_SERVER)
  .option('--since <time>', 'from this time: RFC 3339 or relative (now-15m)')
  .option('--until <time>', 'up to this time (default now)')
  .option('--last <n>', 'the last n flows (default 20; 1000 at most)')
  .option('-f, --follow', 'then print flows as they are acked, until stopped')
  .option('--from-pod <[namespace/]pod>', 'source workload (pod or VM)')
  .option('--to-pod <[namespace/]pod>', 'destination workload (pod or VM)')
  .option('--from-ip <ip>', 'source address or CIDR (repeatable, comma-separated)', many)
  .option('--to-ip <ip>', 'destination address or CIDR', many)
  .option('--namespace <ns>', 'namespace or project at either end', many)
  .option('--vn <fq-name>', 'virtual network at either end', many)
  .option('--vrouter <host>', 'exporting vRouter', many)
  .option('--verdict <verdict>', 'FORWARDED, DROPPED, or an action (pass, deny, drop, nat, mirror)', many)
  .option('--drop-reason <reason>', "TF's drop reason, e.g. SHORT_ACL_DENY", many)
  .option('--protocol <proto>', 'tcp, udp, icmp, … or a number', many)
  .option('--port <port>', 'port at either end', many)
  .addOption(new Option('-o, --output <format>', 'how flows are printed').choices(outputs).default('compact'))
  .addHelpText(
    'after',
    `
Examples:
  fabricscope observe --last 5 --output json
  fabricscope observe --follow --verdict DROPPED --namespace test-isolated-ns
  fabricscope observe --since now-1h --from-pod dev/client-1 --to-ip 10.0.0.0/8 --port 443 -o table`,
  )
  .action(runObserve);

program
  .command('why')
  .description(
    'Why A does or does not reach B: the reachability answer of the GraphQL API — verdicts per direction ' +
      'and vRouter with the deciding rule, the route, both endpoints and their vRouters',
  )
  .argument('<source>', 'an IP, namespace/pod, project/vm, namespace/service or a VMI (uuid or UVE name)')
  .argument('<destination>', 'the same')
  .addOption(
    new Option('--server <url>', 'the query service (its base URL or /graphql)')
      .env('FABRICSCOPE_SERVER')
      .default('http://localhost:8081'),
  )
  .option('--from <time>', 'start of the flows looked at: RFC 3339 or now-15m (default: an hour before --to)')
  .option('--to <time>', 'end of the flows looked at (default: now)')
  .option('--json', "print the API's answer as JSON")
  .addHelpText('after', '\nExample:\n  fabricscope why seamless/cont admin/vm --server http://localhost:8081')
  .action(runWhy);

program
  .command('config')
  .description('Print the resolved configuration, or with --markdown the table of every option')
  .option('--markdown', 'print the options table for the README')
  .action((opts: { markdown?: boolean }) => {
    console.log(
      opts.markdown
        ? configMarkdown(options)
        : JSON.stringify(printableConfig(options, loadConfig(options)), null, 2),
    );
  });

program.parseAsync().catch((err: unknown) => {
  console.error(`fabricscope: ${errorMessage(err)}`);
  process.exit(1);
});
