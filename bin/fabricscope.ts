#!/usr/bin/env node
import { Command, Option } from 'commander';
import { configMarkdown, loadConfig, options, type ConfigKey, type RawConfig } from '../common/config.js';
import { errorMessage } from '../common/errors.js';
import { configureLogging } from '../common/log.js';
import { parseServices, startServices } from './pipeline.js';
import { runSimulate } from './simulate.js';

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
  .argument('[services...]', 'all (default), or any of collector, writer, query')
  .description(
    'Start the pipeline; by default everything in one process on the in-process bus and embedded chdb, ' +
      'or the services named, sharing Kafka (--kafka-brokers) and a warehouse (--clickhouse-url)',
  )
  .action(async (names: string[], _opts, command: Command) => {
    const config = loadConfig(
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
  .description('Stream simulated vRouter flows to a collector')
  .requiredOption('--target <host:port>', 'collector gRPC address')
  .option('--vrouters <n>', 'simulated vRouter agents', '4')
  .option('--flows <n>', 'stop once this many records are acked')
  .option('--duration <time>', 'stop after this long, e.g. 30s or 5m')
  .option('--rate <records/s>', 'send at most this many records per second (0: as fast as possible)', '0')
  .option('--batch-size <n>', 'records per batch', '5000')
  .option('--token <token>', 'token to present in Hello')
  .action(runSimulate);

program
  .command('config')
  .description('Print the resolved configuration, or with --markdown the table of every option')
  .option('--markdown', 'print the options table for the README')
  .action((opts: { markdown?: boolean }) => {
    console.log(opts.markdown ? configMarkdown() : JSON.stringify(loadConfig(), null, 2));
  });

program.parseAsync().catch((err: unknown) => {
  console.error(`fabricscope: ${errorMessage(err)}`);
  process.exit(1);
});
