import * as grpc from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { ReflectionService } from '@grpc/reflection';
import { HealthImplementation } from 'grpc-health-check';
import { errorMessage } from '../common/errors.js';
import { logger } from '../common/log.js';
import { messages, protoRoot } from '../common/proto.js';
import type { AckBody, Ingest } from './ingest.js';
import { readBatch, readHello, readRequest } from './requests.js';
import { checkGeneratorId, type GeneratorSession, type Sessions } from './sessions.js';
import { WireError, WireReader, WireType } from '../common/wire/reader.js';

const log = logger('collector');

export interface CollectorOptions {
  host: string;
  port: number;
  tokens: readonly string[];
  maxInFlight: number;
  maxBatchRecords: number;
}

export interface CollectorServer {
  port: number;
  close(): Promise<void>;
}

type Message = object;
const encodeResponse = (m: Message): Buffer =>
  Buffer.from(messages.PublishResponse.encode(m as Record<string, unknown>).finish());
const encodeAck = (m: Message): Buffer =>
  Buffer.from(messages.Ack.encode(m as Record<string, unknown>).finish());
const raw = (b: Buffer): Buffer => b;

/** The Collector service with requests left as bytes: ingest walks them on the wire. */
const collectorService: grpc.ServiceDefinition = {
  Publish: {
    path: '/fabricscope.v1.Collector/Publish',
    requestStream: true,
    responseStream: true,
    requestSerialize: raw,
    requestDeserialize: raw,
    responseSerialize: encodeResponse,
    responseDeserialize: (b: Buffer) => messages.PublishResponse.decode(b),
  },
  PublishBatch: {
    path: '/fabricscope.v1.Collector/PublishBatch',
    requestStream: false,
    responseStream: false,
    requestSerialize: raw,
    requestDeserialize: raw,
    responseSerialize: encodeAck,
    responseDeserialize: (b: Buffer) => messages.Ack.decode(b),
  },
};

class GrpcFailure extends Error {
  constructor(
    readonly code: grpc.status,
    readonly details: string,
  ) {
    super(details);
  }
}

export async function startCollector(
  options: CollectorOptions,
  ingest: Ingest,
  sessions: Sessions,
): Promise<CollectorServer> {
  const server = new grpc.Server({
    'grpc.max_receive_message_length': 64 * 1024 * 1024,
    'grpc.keepalive_time_ms': 30_000,
  });
  const authorize = (generator: string, token: string, epoch: number): void => {
    const bad = checkGeneratorId(generator);
    if (bad) throw new GrpcFailure(grpc.status.INVALID_ARGUMENT, bad);
    if (options.tokens.length > 0 && !options.tokens.includes(token)) {
      throw new GrpcFailure(grpc.status.UNAUTHENTICATED, `generator ${generator}: token refused`);
    }
    if (!Number.isSafeInteger(epoch))
      throw new GrpcFailure(grpc.status.INVALID_ARGUMENT, 'epoch out of range');
  };
  server.addService(collectorService, {
    Publish: (call: grpc.ServerDuplexStream<Buffer, Message>) =>
      new PublishStream(call, ingest, sessions, options, authorize),
    PublishBatch: (call: grpc.ServerUnaryCall<Buffer, Message>, done: grpc.sendUnaryData<Message>) =>
      void publishOnce(call.request, ingest, authorize).then(
        (ack) => done(null, ack),
        (err) => done(toStatus(err)),
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
  new HealthImplementation({ '': 'SERVING', 'fabricscope.v1.Collector': 'SERVING' }).addToServer(server);
  const definition = loadSync('fabricscope/v1/collector.proto', { includeDirs: [protoRoot] });
  new ReflectionService(definition).addToServer(server);
}

type Authorize = (generator: string, token: string, epoch: number) => void;

function toStatus(err: unknown): Partial<grpc.StatusObject> {
  if (err instanceof GrpcFailure) return { code: err.code, details: err.details };
  if (err instanceof WireError || err instanceof TypeError) {
    return { code: grpc.status.INVALID_ARGUMENT, details: `malformed request: ${err.message}` };
  }
  log.error({ err: errorMessage(err) }, 'unexpected ingest failure');
  return { code: grpc.status.INTERNAL, details: errorMessage(err) };
}

/** PublishBatchRequest {hello = 1, batch = 2}: the same path as a stream of one batch. */
async function publishOnce(buf: Buffer, ingest: Ingest, authorize: Authorize): Promise<AckBody> {
  const reader = new WireReader(buf);
  let hello: ReturnType<typeof readHello> | undefined;
  let batch: ReturnType<typeof readBatch> | undefined;
  while (!reader.done()) {
    const tag = reader.varint();
    if (tag === (1 << 3) + WireType.LEN) hello = readHello(buf.subarray(...reader.lengthDelimited()));
    else if (tag === (2 << 3) + WireType.LEN) batch = readBatch(buf, ...reader.lengthDelimited());
    else reader.skip(tag & 7);
  }
  if (!hello) throw new GrpcFailure(grpc.status.INVALID_ARGUMENT, 'PublishBatch needs hello');
  if (!batch) throw new GrpcFailure(grpc.status.INVALID_ARGUMENT, 'PublishBatch needs batch');
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

  constructor(
    private readonly call: grpc.ServerDuplexStream<Buffer, Message>,
    private readonly ingest: Ingest,
    private readonly sessions: Sessions,
    private readonly options: CollectorOptions,
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
      if (!this.session)
        throw new GrpcFailure(grpc.status.FAILED_PRECONDITION, 'the first message must be hello');
      void this.onBatch(this.session, buf, request.seq, request.payload);
    } catch (err) {
      this.fail(err);
    }
  }

  private onHello(generator: string, token: string, epoch: number): void {
    if (this.session) throw new GrpcFailure(grpc.status.FAILED_PRECONDITION, 'hello sent twice');
    this.authorize(generator, token, epoch);
    this.session = this.sessions.open(generator, epoch, this.call.getPeer());
    log.info({ generator, epoch, peer: this.session.peer }, 'generator connected');
    this.call.write({
      welcome: {
        session_id: `${generator}@${epoch}`,
        max_batch_records: this.options.maxBatchRecords,
        max_in_flight: this.options.maxInFlight,
      },
    });
  }

  private async onBatch(
    session: GeneratorSession,
    buf: Buffer,
    seq: number,
    payload: Parameters<Ingest['accept']>[2],
  ): Promise<void> {
    // Stop reading the stream while too many batches wait to become durable: HTTP/2 flow control
    // then holds the sender back instead of this process buffering without bound.
    if (++this.inFlight >= this.options.maxInFlight) this.call.pause();
    const ack = await this.ingest.accept(
      { generator: session.generator, epoch: session.epoch, seq },
      buf,
      payload,
    );
    if (!this.call.cancelled && !this.call.destroyed) this.call.write({ ack });
    this.inFlight--;
    if (this.inFlight < this.options.maxInFlight) this.call.resume();
    this.finishIfDrained();
  }

  private finishIfDrained(): void {
    if (this.ended && this.inFlight === 0 && !this.call.writableEnded) this.call.end();
  }

  private fail(err: unknown): void {
    const status = toStatus(err);
    log.warn({ generator: this.session?.generator, details: status.details }, 'publish stream refused');
    this.call.emit('error', status);
  }

  private disconnect(): void {
    if (!this.session || this.session.status !== 'connected') return;
    this.sessions.close(this.session);
    log.info({ generator: this.session.generator }, 'generator disconnected');
  }
}
