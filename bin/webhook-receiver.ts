import { port } from '../common/config.js';
import { invalid } from '../common/errors.js';
import { startWebhookReceiver } from '../alarms/index.js';

export interface WebhookReceiverFlags {
  secret: string;
  host: string;
  port: string;
  tolerance: string;
}

/**
 * `fabricscope webhook-receiver`: the example receiver. Each verified notification is a JSON line on
 * stdout (a repeat marked `duplicate`), each refused request a line on stderr; it runs until stopped.
 */
export async function runWebhookReceiver(flags: WebhookReceiverFlags): Promise<void> {
  const listenPort = port.safeParse(flags.port);
  if (!listenPort.success) throw invalid(`--port: "${flags.port}" is not a port`);
  const toleranceS = Number(flags.tolerance);
  if (!Number.isInteger(toleranceS) || toleranceS <= 0) {
    throw invalid(`--tolerance: "${flags.tolerance}" is not a positive number of seconds`);
  }
  const server = await startWebhookReceiver({
    secret: flags.secret,
    host: flags.host,
    port: listenPort.data,
    toleranceS,
    onNotification: (n) => console.log(JSON.stringify({ received: new Date().toISOString(), ...n })),
    onTest: (test) => console.log(JSON.stringify({ received: new Date().toISOString(), test })),
    onRefused: (reason) => console.error(`refused: ${reason}`),
  });
  console.error(`webhook receiver listening on http://${flags.host}:${server.port}/`);
  const stop = (): void => void server.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
