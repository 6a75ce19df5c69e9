import * as grpc from '@grpc/grpc-js';
import {
  fromBinary,
  toBinary,
  type DescFile,
  type DescMessage,
  type DescMethod,
  type MessageInitShape,
} from '@bufbuild/protobuf';
import { FileDescriptorProtoSchema } from '@bufbuild/protobuf/wkt';
import { ReflectionService } from '@grpc/reflection';
import { HealthImplementation } from 'grpc-health-check';
import { clientFault, errorMessage, errorStatus, FabricError, invalid } from '../common/errors.js';
import { logger, rateLimited } from '../common/log.js';
import { counter } from '../common/metrics.js';
import {
  Collector,
  encode,
  file_fabricscope_v1_collector,
  methodPath,
  type Ack,
  type PublishResponseSchema,
} from '../common/proto.js';
import type { Ingest } from './ingest.js';
import { InFlightBudget } from './in-flight.js';
import { Credentials } from './credentials.js';
import { readBatch, readHello, readRequest, TAG } from './requests.js';
import { checkGeneratorId, type GeneratorSession, type Sessions } from './sessions.js';
import { WireError, WireReader } from '../common/wire/reader.js';

/** Every line here is caused by a request: rate-limited, so a storm of them cannot flood the log. */
const log = rateLimited(logger('collector'));
const refusedStreams = counter(
  'fabricscope_collector_refused_streams_total',
  'Publish streams and PublishBatch calls refused before any batch was read, by reason',
  ['reason'],
);

/** Why a stream was refused, as the metric labels it. */
function refusalReason(err: unknown): string {
  if (err instanceof WireError) return 'malformed';
  if (!(err instanceof FabricError)) return 'internal';
  if (err.code === 'UNAUTHENTICATED') return 'token_refused';
  if (err.code === 'PERMISSION_DENIED') return 'identity_refused';
  if (err.message === HELLO_TWICE) return 'hello_twice';
  if (err.message === NO_HELLO) return 'no_hello';
  if (err.code === 'INVALID_ARGUMENT') return 'bad_hello';
  return err.code.toLowerCase();
}
const HELLO_TWICE = 'hello sent twice';
const NO_HELLO = 'the first message must be hello';

export interface CollectorOptions {
  host: string;
  port: number;
  tokens: readonly string[];
  maxInFlight: number;
  /** Bytes of batches not yet acked over all streams, at most (collector/in-flight.ts). */
  maxInFlightBytes: number;
  maxBatchRecords: number;
}

export interface CollectorServer {
  port: number;
  close(): Promise<void>;
}

type Response = MessageInitShape<typeof PublishResponseSchema>;
const raw = (b: Buffer): Buffer => b;

/** A method as grpc-js serves it, from its generated descriptor, with the request left as bytes. */
function rawRequests<O extends DescMessage>(
  method: DescMethod & { output: O },
): grpc.MethodDefinition<Buffer, MessageInitShape<O>> {
  const kind = method.methodKind;
  return {
    path: methodPath(method),
    requestStream: kind === 'client_streaming' || kind === 'bidi_streaming',
    responseStream: kind === 'server_streaming' || kind === 'bidi_streaming',
    requestSerialize: raw,
    requestDeserialize: raw,
    responseSerialize: (m) => encode(method.output, m),
    responseDeserialize: (b) => fromBinary(method.output, b),
  };
}

/** The Collector service with requests left as bytes: ingest walks them on the wire. */
const collectorService = {
  publish: rawRequests(Collector.method.publish),
  publishBatch: rawRequests(Collector.method.publishBatch),
};

export async function startCollector(
  options: CollectorOptions,
  ingest: Ingest,
  sessions: Sessions,
): Promise<CollectorServer> {
  const server = new grpc.Server({
    'grpc.max_receive_message_length': 64 * 1024 * 1024,
    'grpc.keepalive_time_ms': 30_000,
  });
  const credentials = new Credentials(options.tokens);
  const budget = new InFlightBudget(options.maxInFlightBytes);
  const authorize = (generator: string, token: string, epoch: number): string => {
    const bad = checkGeneratorId(generator);
    if (bad) throw invalid(bad);
    const credential = credentials.check(generator, token);
    if (!Number.isSafeInteger(epoch)) throw invalid('epoch out of range');
    return credential;
  };
  server.addService(collectorService, {
    publish: (call: grpc.ServerDuplexStream<Buffer, Response>) =>
      new PublishStream(call, ingest, sessions, options, budget, authorize),
    publishBatch: (call: grpc.ServerUnaryCall<Buffer, Ack>, done: grpc.sendUnaryData<Ack>) =>
      void publishOnce(call.request, ingest, authorize).then(
        (ack) => done(null, ack),
        (err) => {
          refusedStreams.inc({ reason: refusalReason(err) });
          done(toStatus(err));
        },
      ),
  });
  addHealthAndReflection(server);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(
      `${options.host}:${options.port}`,
      grpc.ServerCredentials.createInsecure(),
      (err, port) => (err ? reject(err) : resolve(port)),
    ),
  );
  return {
    port,
    close: () =>
      new Promise((resolve) => {
        server.tryShutdown(() => resolve());
        setTimeout(() => server.forceShutdown(), 2000).unref();
      }),
  };
}

function addHealthAndReflection(server: grpc.Server): void {
  new HealthImplementation({ '': 'SERVING', [Collector.typeName]: 'SERVING' }).addToServer(server);
  new ReflectionService(reflectionInput(file_fabricscope_v1_collector)).addToServer(server);
}

type ReflectionInput = ConstructorParameters<typeof ReflectionService>[0];

/**
 * @grpc/reflection takes a proto-loader package definition, of which it reads only the encoded file
 * descriptors each entry carries: one entry with the generated descriptors of a file and of the files
 * it imports serves that file's services.
 */
function reflectionInput(file: DescFile): ReflectionInput {
  const files: DescFile[] = [];
  const add = (f: DescFile): void => {
    if (files.includes(f)) return;
    files.push(f);
    f.dependencies.forEach(add);
  };
  add(file);
  const fileDescriptorProtos = files.map((f) => Buffer.from(toBinary(FileDescriptorProtoSchema, f.proto)));
  const entry = { format: 'Protocol Buffer 3 FileDescriptorProto', type: file.proto, fileDescriptorProtos };
  return { [file.name]: entry } as unknown as ReflectionInput;
}

/** Checks a Hello's identity and token; returns the credential the session runs under. */
type Authorize = (generator: string, token: string, epoch: number) => string;

/**
 * The status a sender is told, from the one error map (common/errors.ts): its own fault with the
 * reason, or INTERNAL for a failure of ours, which is logged and never passed off as bad input.
 */
function toStatus(err: unknown): Partial<grpc.StatusObject> {
  const fault = err instanceof WireError ? invalid(`malformed request: ${err.message}`) : clientFault(err);
  if (fault) return { code: errorStatus[fault.code].grpc, details: fault.message };
  const message = errorMessage(err);
  log.error(message.slice(0, 200), { err: message }, 'unexpected ingest failure');
  return { code: grpc.status.INTERNAL, details: 'internal error in the collector (logged there)' };
}

/** PublishBatchRequest {hello = 1, batch = 2}: the same path as a stream of one batch. */
async function publishOnce(buf: Buffer, ingest: Ingest, authorize: Authorize): Promise<Ack> {
  const reader = new WireReader(buf);
  let hello: ReturnType<typeof readHello> | undefined;
  let batch: ReturnType<typeof readBatch> | undefined;
  while (!reader.done()) {
    const tag = reader.tag();
    if (tag === TAG.unaryHello) hello = readHello(buf.subarray(...reader.lengthDelimited()));
    else if (tag === TAG.unaryBatch) batch = readBatch(buf, ...reader.lengthDelimited());
    else reader.skip(tag & 7);
  }
  if (!hello) throw invalid('PublishBatch needs hello');
  if (!batch) throw invalid('PublishBatch needs batch');
  authorize(hello.generator, hello.token, hello.epoch);
  return ingest.accept(
    { generator: hello.generator, epoch: hello.epoch, seq: batch.seq },
    buf,
    batch.payload,
  );
}

/** One generator's Publish stream: Hello, then batches, each acked once durable. */
class PublishStream {
  private session: GeneratorSession | undefined;
  private inFlight = 0;
  private ended = false;
  private readonly flowControl = (): void => this.updateFlow();

  constructor(
    private readonly call: grpc.ServerDuplexStream<Buffer, Response>,
    private readonly ingest: Ingest,
    private readonly sessions: Sessions,
    private readonly options: CollectorOptions,
    private readonly budget: InFlightBudget,
    private readonly authorize: Authorize,
  ) {
    call.on('data', (buf: Buffer) => this.onMessage(buf));
    call.on('end', () => {
      this.ended = true;
      this.finishIfDrained();
    });
    call.on('error', () => this.disconnect());
    call.on('cancelled', () => this.disconnect());
    call.on('close', () => this.disconnect());
  }

  private onMessage(buf: Buffer): void {
    try {
      const request = readRequest(buf);
      if (request.type === 'hello') return this.onHello(request.generator, request.token, request.epoch);
      if (!this.session) throw new FabricError('FAILED_PRECONDITION', NO_HELLO);
      // A failure of ours ends this stream (INTERNAL, logged), never the process.
      this.onBatch(this.session, buf, request.seq, request.payload).catch((err) => this.fail(err));
    } catch (err) {
      this.fail(err);
    }
  }

  private onHello(generator: string, token: string, epoch: number): void {
    if (this.session) throw new FabricError('FAILED_PRECONDITION', HELLO_TWICE);
    const credential = this.authorize(generator, token, epoch);
    this.session = this.sessions.open(generator, epoch, this.call.getPeer(), credential);
    log.info(generator, { generator, epoch, peer: this.session.peer }, 'generator connected');
    this.call.write({
      message: {
        case: 'welcome',
        value: {
          sessionId: `${generator}@${epoch}`,
          maxBatchRecords: this.options.maxBatchRecords,
          maxInFlight: this.options.maxInFlight,
        },
      },
    });
  }

  private async onBatch(
    session: GeneratorSession,
    buf: Buffer,
    seq: number,
    payload: Parameters<Ingest['accept']>[2],
  ): Promise<void> {
    this.inFlight++;
    this.budget.take(buf.length);
    this.updateFlow();
    let ack: Ack;
    try {
      ack = await this.ingest.accept(
        { generator: session.generator, epoch: session.epoch, seq },
        buf,
        payload,
      );
    } finally {
      this.inFlight--;
      this.budget.give(buf.length);
    }
    if (!this.call.cancelled && !this.call.destroyed)
      this.call.write({ message: { case: 'ack', value: ack } });
    this.updateFlow();
    this.finishIfDrained();
  }

  /**
   * Stops reading the stream while too many of its batches, or too many bytes over all streams, wait
   * to become durable: HTTP/2 flow control then holds the sender back instead of this process
   * buffering without bound.
   */
  private updateFlow(): void {
    this.budget.forget(this.flowControl);
    if (this.inFlight >= this.options.maxInFlight) return void this.call.pause();
    if (!this.budget.exceeded) return void this.call.resume();
    this.call.pause();
    this.budget.whenRoom(this.flowControl);
  }

  private finishIfDrained(): void {
    if (this.ended && this.inFlight === 0 && !this.call.writableEnded) this.call.end();
  }

  private fail(err: unknown): void {
    const reason = refusalReason(err);
    refusedStreams.inc({ reason });
    const status = toStatus(err);
    const generator = this.session?.generator;
    log.warn(
      `${reason} ${generator ?? ''}`,
      { generator, details: status.details },
      'publish stream refused',
    );
    this.call.emit('error', status);
  }

  private disconnect(): void {
    this.budget.forget(this.flowControl);
    if (!this.session || this.session.status !== 'connected') return;
    this.sessions.close(this.session);
    const { generator } = this.session;
    log.info(generator, { generator }, 'generator disconnected');
  }
}
