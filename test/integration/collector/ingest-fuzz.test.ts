import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { fromBinary } from '@bufbuild/protobuf';
import * as grpc from '@grpc/grpc-js';
import * as collector from '../../../collector/index.js';
import { options } from '../../../bin/config.js';
import { openBus } from '../../../common/bus/open.js';
import type { Bus } from '../../../common/bus/bus.js';
import { loadConfig } from '../../../common/config.js';
import { configureLogging } from '../../../common/log.js';
import {
  AckSchema,
  AckStatus,
  BatchSchema,
  Collector,
  encodeFields,
  HelloSchema,
  methodPath,
  PayloadField,
  PublishRequestSchema,
  PublishResponseSchema,
  type Ack,
  type PayloadKind,
  type PublishResponse,
} from '../../../common/proto.js';
import { migrate } from '../../../common/schema/migrate.js';
import { openWarehouse } from '../../../common/warehouse/open.js';
import type { Warehouse } from '../../../common/warehouse/warehouse.js';
import { createRng, type Rng } from '../../../simulator/fabric/random.js';
import * as writer from '../../../writer/index.js';
import { cleanUp } from '../../../harness/child-processes.js';
import { openPublishStream, type PublishStream } from '../../../harness/publish-stream.js';
import { rawLen, rawVarint } from '../../support/raw-protobuf.js';
import { recordKind, recordKinds, type RecordKind } from '../../support/record-kinds.js';
import { mutate } from '../../support/wire-mutations.js';

/**
 * A seeded mutation fuzzer against a real in-process pipeline (collector, in-process bus, writer,
 * chdb): records of every kind, batches, whole requests and Hellos, mutated as a broken or hostile
 * sender would write them, over PublishBatch calls and Publish streams, while a bystander generator
 * keeps publishing valid batches. Asserted: no INTERNAL (every refusal names what was wrong), every
 * call answered in bounded time (no stall), the bystander acked throughout, and in the end every
 * acked record stored exactly once (by batch, per kind), none in dead_letters: what the collector
 * acks the warehouse accepts.
 *
 * FABRICSCOPE_FUZZ_SEED and FABRICSCOPE_FUZZ_RUNS choose the inputs (each iteration draws from its
 * own seeded generator, so a failure names its seed and iteration, and its input in hex);
 * FABRICSCOPE_FUZZ_ITERATION replays one iteration alone.
 */

const SEED = Number(process.env.FABRICSCOPE_FUZZ_SEED ?? 90_210);
const RUNS = Number(process.env.FABRICSCOPE_FUZZ_RUNS ?? 3000);
const ONLY = process.env.FABRICSCOPE_FUZZ_ITERATION;
const WORKERS = 8;
/** An answer slower than this is a stall. */
const ANSWER_MS = 30_000;
/** How long storage may lag behind the acks (the bus may ack before the writer stores). */
const STORED_WITHIN_MS = 60_000;

const bystander = 'bystander-1:Compute:contrail-vrouter-agent:0';
/** The collector takes this token from any identity: the token check is on the path of every Hello. */
const TOKEN = 'fuzz-token';

/** One input sent and what must become of it. */
interface Input {
  iteration: number;
  mode: string;
  applied: string[];
  bytes: Buffer;
}

/** The input an iteration sent last: the one a stall or an error is about. */
interface Sending {
  input?: Input;
}

/** Records an acked batch must have stored: where (its kind, when the sender is sure of it), how many. */
interface Expected {
  kind: PayloadKind | undefined;
  accepted: number;
  input: Input | undefined;
}

const batchKey = (generator: string, epoch: unknown, seq: unknown): string => `${generator}|${epoch}|${seq}`;

/** Each iteration's own generator: seeded by the run's seed and the iteration. */
const rngFor = (iteration: number): Rng => createRng((SEED ^ Math.imul(iteration + 1, 0x9e3779b1)) >>> 0);

const describeInput = (input: Input): string => {
  const hex = input.bytes.subarray(0, 4096).toString('hex');
  const more = input.bytes.length > 4096 ? ` … (${input.bytes.length} bytes)` : '';
  return `seed ${SEED} iteration ${input.iteration} (${input.mode}: ${input.applied.join(', ') || 'valid'})\n  input ${hex}${more}`;
};

const isStatus = <T extends object>(answer: T | grpc.StatusObject): answer is grpc.StatusObject =>
  'code' in answer && 'details' in answer;

/** A stream's answers one at a time, each within ANSWER_MS; its end as the gRPC status. */
class RawStream {
  private readonly call: grpc.ClientDuplexStream<Buffer, PublishResponse>;
  private readonly answers: PublishResponse[] = [];
  private ended: grpc.StatusObject | undefined;
  private wake: (() => void) | undefined;

  constructor(client: grpc.Client) {
    this.call = client.makeBidiStreamRequest(
      methodPath(Collector.method.publish),
      (b: Buffer) => b,
      (b: Buffer) => fromBinary(PublishResponseSchema, b),
    );
    this.call.on('data', (answer: PublishResponse) => {
      this.answers.push(answer);
      this.wake?.();
    });
    this.call.on('error', () => undefined);
    this.call.on('status', (status: grpc.StatusObject) => {
      this.ended = status;
      this.wake?.();
    });
  }

  write(bytes: Buffer): void {
    this.call.write(bytes);
  }

  /** The next answer, or the stream's status once it ended; throws after ANSWER_MS. */
  async next(): Promise<PublishResponse | grpc.StatusObject> {
    const deadline = Date.now() + ANSWER_MS;
    while (this.answers.length === 0 && !this.ended) {
      if (Date.now() > deadline) throw new Error(`no answer within ${ANSWER_MS} ms (a stall)`);
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        setTimeout(resolve, 200);
      });
    }
    return this.answers.shift() ?? this.ended!;
  }

  /** Ends our side and returns the status; cancelled if the collector does not end its side. */
  async end(): Promise<grpc.StatusObject> {
    this.call.end();
    for (;;) {
      const answer = await this.next().catch(() => undefined);
      if (answer === undefined) {
        this.call.cancel();
        throw new Error(`stream not ended within ${ANSWER_MS} ms`);
      }
      if (isStatus(answer)) return answer;
    }
  }
}

describe('ingest fuzzing: mutated records, batches, requests and Hellos against a real pipeline', () => {
  let bus: Bus;
  let warehouse: Warehouse;
  const services: { close(): Promise<void> }[] = [];
  let target: string;
  let client: grpc.Client;
  const expected = new Map<string, Expected>();
  const failures: string[] = [];
  let welcomed = 0;
  /** What the inputs came to, printed as the test's diagnostic. */
  const tally = new Map<string, number>();
  const count = (outcome: string, n = 1) => tally.set(outcome, (tally.get(outcome) ?? 0) + n);
  const onUnhandled = (err: unknown) => failures.push(`unhandled rejection in the process: ${String(err)}`);

  before(async () => {
    configureLogging('error');
    process.on('unhandledRejection', onUnhandled);
    const config = loadConfig(
      options,
      {
        dataDir: mkdtempSync(join(tmpdir(), 'fs-fuzz-')),
        grpcHost: '127.0.0.1',
        grpcPort: 0,
        writerLingerMs: 5,
        generatorGrace: '1h',
        tokens: [TOKEN],
      },
      {},
    );
    bus = openBus(config, 'fuzz');
    warehouse = await openWarehouse(config);
    await migrate(warehouse);
    services.push(await writer.start(config, { bus, warehouse }));
    const collecting = await collector.start(config, { bus });
    services.push(collecting);
    target = `127.0.0.1:${collecting.port}`;
    client = new grpc.Client(target, grpc.credentials.createInsecure());
  });
  after(() =>
    cleanUp(
      async () => client?.close(),
      ...services.reverse().map((s) => () => s.close()),
      () => bus?.close(),
      () => warehouse?.close(),
      async () => void process.off('unhandledRejection', onUnhandled),
    ),
  );

  /** What a refusal must be: a status of the sender's fault that names it, never INTERNAL. */
  function checkStatus(status: grpc.StatusObject, input: Input, what: string): void {
    count(`status ${grpc.status[status.code]}`);
    const ours = [grpc.status.INTERNAL, grpc.status.UNKNOWN, grpc.status.DEADLINE_EXCEEDED];
    if (ours.includes(status.code) || (status.code !== grpc.status.OK && status.details.trim() === '')) {
      failures.push(`${what}: ${grpc.status[status.code]} "${status.details}"\n  ${describeInput(input)}`);
    }
  }

  /** An ack must be OK or INVALID with a reason, account for every record, and name each refusal. */
  function checkAck(ack: Ack, input: Input, records: number | undefined): void {
    count(`ack ${AckStatus[ack.status]}`);
    count('records accepted', ack.accepted);
    count('records refused', ack.rejections.length);
    const problems: string[] = [];
    if (ack.status !== AckStatus.OK && ack.status !== AckStatus.INVALID)
      problems.push(`status ${AckStatus[ack.status]}`);
    if (ack.status === AckStatus.INVALID && (ack.message === '' || ack.accepted > 0))
      problems.push('INVALID without a reason, or with records accepted');
    if (ack.rejections.some((r) => r.field === '' || r.reason === ''))
      problems.push('a refusal without a reason');
    if (
      records !== undefined &&
      ack.status === AckStatus.OK &&
      ack.accepted + ack.rejections.length !== records
    )
      problems.push(`${ack.accepted} accepted + ${ack.rejections.length} refused of ${records} records`);
    if (problems.length > 0)
      failures.push(
        `ack ${JSON.stringify(ack, (_, v) => (typeof v === 'bigint' ? String(v) : v))}: ${problems.join('; ')}\n  ${describeInput(input)}`,
      );
  }

  function expectStored(
    key: string,
    ack: Ack,
    kind: PayloadKind | undefined,
    input: Input | undefined,
  ): void {
    if (ack.status !== AckStatus.OK || ack.accepted === 0) return;
    const earlier = expected.get(key);
    if (earlier) {
      failures.push(
        `batch ${key} acked twice (the fuzzer should not reuse ids)\n  ${input && describeInput(input)}`,
      );
      return;
    }
    expected.set(key, { kind, accepted: ack.accepted, input });
  }

  /** Records of a kind, a share of them mutated; their count. */
  function recordsOf(kind: RecordKind, rng: Rng, applied: string[]): Buffer[] {
    return Array.from({ length: rng.int(1, 5) }, (_, i) => {
      const good = encodeFields(kind.schema, kind.good(rng.int(0, 99_999)));
      if (rng.next() < 0.4) return good;
      const mutated = mutate(good, kind.schema, rng);
      applied.push(`record ${i}: ${mutated.applied.join(', ')}`);
      return mutated.bytes;
    });
  }

  const batchOf = (kind: RecordKind, seq: bigint, records: Buffer[]): Buffer =>
    Buffer.concat([
      rawVarint(BatchSchema.field.seq.number, seq),
      rawLen(PayloadField[kind.payload], Buffer.concat(records.map((r) => rawLen(1, r)))),
    ]);

  function publishBatch(request: Buffer): Promise<Ack | grpc.StatusObject> {
    return new Promise((resolve) => {
      client.makeUnaryRequest(
        methodPath(Collector.method.publishBatch),
        (b: Buffer) => b,
        (b: Buffer) => fromBinary(AckSchema, b),
        request,
        new grpc.Metadata(),
        { deadline: Date.now() + ANSWER_MS },
        (err, ack) => resolve(err ? (err as grpc.StatusObject) : ack!),
      );
    });
  }

  /** PublishBatch: a valid Hello, then mutated records, a mutated batch, or a mutated Hello and no records. */
  async function unary(iteration: number, rng: Rng, at: Sending): Promise<void> {
    const kind = rng.pick(recordKinds);
    const generator = `fuzz-unary:Compute:${kind.payload}:0`;
    const epoch = iteration + 1;
    let hello = encodeFields(HelloSchema, { generator, epoch, token: TOKEN });
    const applied: string[] = [];
    const roll = rng.next();
    let batch: Buffer;
    let records: number | undefined;
    let mode: string;
    if (roll < 0.65) {
      mode = `PublishBatch of ${kind.payload}`;
      const list = recordsOf(kind, rng, applied);
      records = list.length;
      batch = batchOf(kind, 1n, list);
    } else if (roll < 0.85) {
      mode = `PublishBatch, batch mutated (${kind.payload})`;
      const mutated = mutate(batchOf(kind, 1n, recordsOf(kind, rng, applied)), BatchSchema, rng);
      applied.push(`batch: ${mutated.applied.join(', ')}`);
      batch = mutated.bytes;
    } else {
      mode = 'PublishBatch, Hello mutated';
      const mutated = mutate(hello, HelloSchema, rng);
      applied.push(...mutated.applied);
      hello = mutated.bytes;
      batch = rawVarint(BatchSchema.field.seq.number, 1n);
    }
    const bytes = Buffer.concat([rawLen(1, hello), rawLen(2, batch)]);
    const input: Input = { iteration, mode, applied, bytes };
    at.input = input;
    const answer = await publishBatch(bytes);
    if (isStatus(answer)) return checkStatus(answer, input, 'PublishBatch refused');
    checkAck(answer, input, records);
    if (mode.includes('Hello mutated')) {
      if (answer.accepted > 0)
        failures.push(`records accepted from a batch of none\n  ${describeInput(input)}`);
      return;
    }
    expectStored(
      batchKey(generator, epoch, answer.seq),
      answer,
      records === undefined ? undefined : kind.payload,
      input,
    );
  }

  /**
   * A Publish stream: a Hello (mutated half the time), then batches of mutated records, the last one
   * possibly a mutated request as a whole. Each message is awaited: its answer, or the stream's end.
   */
  async function stream(iteration: number, rng: Rng, at: Sending): Promise<void> {
    const applied: string[] = [];
    let hello = encodeFields(HelloSchema, {
      generator: `fuzz-stream-${iteration}:Compute:fuzzer:0`,
      epoch: 7,
      token: TOKEN,
    });
    if (rng.next() < 0.5) {
      const mutated = mutate(hello, HelloSchema, rng);
      applied.push(`hello: ${mutated.applied.join(', ')}`);
      hello = mutated.bytes;
    }
    const input: Input = { iteration, mode: 'Publish stream', applied, bytes: rawLen(1, hello) };
    const call = new RawStream(client);
    at.input = input;
    call.write(input.bytes);
    const first = await call.next();
    if (isStatus(first)) return checkStatus(first, input, 'Hello refused');
    if (first.message.case !== 'welcome') {
      failures.push(`answered ${first.message.case} to a Hello\n  ${describeInput(input)}`);
      return void (await call.end());
    }
    welcomed++;
    const session = first.message.value.sessionId;
    const split = session.lastIndexOf('@');
    const [generator, epoch] = [session.slice(0, split), session.slice(split + 1)];
    const batches = rng.int(1, 3);
    for (let b = 0; b < batches; b++) {
      const kind = rng.pick(recordKinds);
      // Far apart: a mutated seq does not land on another batch's.
      const seq = BigInt(rng.uint32()) * 4096n + BigInt(b);
      const records = recordsOf(kind, rng, applied);
      let request = rawLen(2, batchOf(kind, seq, records));
      const whole = b === batches - 1 && rng.next() < 0.4;
      if (whole) {
        const mutated = mutate(request, PublishRequestSchema, rng);
        applied.push(`request: ${mutated.applied.join(', ')}`);
        request = mutated.bytes;
      }
      const sent: Input = { ...input, mode: `Publish stream, batch ${b} (${kind.payload})`, bytes: request };
      at.input = sent;
      call.write(request);
      const answer = await call.next();
      if (isStatus(answer)) {
        if (!whole)
          failures.push(`stream ended on a batch (record mutations only)\n  ${describeInput(sent)}`);
        return checkStatus(answer, sent, 'stream refused');
      }
      if (answer.message.case !== 'ack') {
        failures.push(`answered ${answer.message.case} to a batch\n  ${describeInput(sent)}`);
        break;
      }
      const ack = answer.message.value;
      checkAck(ack, sent, whole ? undefined : records.length);
      expectStored(batchKey(generator, epoch, ack.seq), ack, whole ? undefined : kind.payload, sent);
    }
    const end = await call.end();
    checkStatus(end, input, 'stream ended');
  }

  /** Valid batches of every kind in turn, each acked within ANSWER_MS, until told to stop. */
  async function bystanderRun(stream: PublishStream, stop: { done: boolean }): Promise<number> {
    let sent = 0;
    while (!stop.done) {
      const kind = recordKinds[sent % recordKinds.length]!;
      const records = [0, 1, 2].map((i) => kind.good(sent * 3 + i));
      const ack = await stream.send(kind.payload, records);
      assert.equal(ack.status, AckStatus.OK, `bystander batch ${sent}: ${ack.message}`);
      assert.equal(ack.accepted, 3, `bystander batch ${sent}: ${JSON.stringify(ack.rejections)}`);
      expectStored(batchKey(bystander, 1, ack.seq), ack, kind.payload, undefined);
      sent++;
    }
    return sent;
  }

  async function iterate(iteration: number): Promise<void> {
    const rng = rngFor(iteration);
    const at: Sending = {};
    try {
      if (rng.next() < 0.7) await unary(iteration, rng, at);
      else await stream(iteration, rng, at);
    } catch (err) {
      const what = at.input ? describeInput(at.input) : `seed ${SEED} iteration ${iteration}`;
      failures.push(`${(err as Error).message}\n  ${what}`);
    }
  }

  /** Rows each batch id has in the tables, read until they match the acks or STORED_WITHIN_MS passed. */
  async function storedRows(): Promise<Map<string, { table: string; rows: number }[]>> {
    const read = async () => {
      const stored = new Map<string, { table: string; rows: number }[]>();
      for (const { table } of recordKinds) {
        const rows = await warehouse.query<{ generator: string; epoch: string; seq: string; n: string }>(
          `SELECT generator, toString(batch_epoch) AS epoch, toString(batch_seq) AS seq, count() AS n
           FROM ${table} GROUP BY generator, batch_epoch, batch_seq`,
        );
        for (const r of rows) {
          const key = batchKey(r.generator, r.epoch, r.seq);
          stored.set(key, [...(stored.get(key) ?? []), { table, rows: Number(r.n) }]);
        }
      }
      return stored;
    };
    const deadline = Date.now() + STORED_WITHIN_MS;
    for (;;) {
      const stored = await read();
      const total = [...stored.values()].flat().reduce((n, s) => n + s.rows, 0);
      const acked = [...expected.values()].reduce((n, e) => n + e.accepted, 0);
      if (total >= acked || Date.now() > deadline) return stored;
      await sleep(250);
    }
  }

  it(`answers ${ONLY === undefined ? RUNS : 1} mutated inputs without INTERNAL or a stall, and stores every acked record once`, async (t) => {
    const iterations = ONLY === undefined ? Array.from({ length: RUNS }, (_, i) => i) : [Number(ONLY)];
    const steady = openPublishStream(target, bystander, 1, TOKEN);
    const stop = { done: false };
    const bystanding = bystanderRun(steady, stop);
    let next = 0;
    const worker = async () => {
      while (next < iterations.length) await iterate(iterations[next++]!);
    };
    await Promise.all(Array.from({ length: WORKERS }, worker));
    stop.done = true;
    const bystanderBatches = await bystanding;
    await steady.close();
    assert.deepEqual(failures, [], `${failures.length} failures:\n${failures.slice(0, 20).join('\n')}`);
    assert.ok(bystanderBatches > 0, 'the bystander published throughout, each batch acked in time');

    const stored = await storedRows();
    const wrong: string[] = [];
    for (const [key, want] of expected) {
      const held = stored.get(key) ?? [];
      const rows = held.reduce((n, h) => n + h.rows, 0);
      const table = want.kind && recordKind(want.kind).table;
      if (rows !== want.accepted || (table && held.some((h) => h.table !== table)))
        wrong.push(
          `${key}: acked ${want.accepted} ${want.kind ?? ''}, stored ${JSON.stringify(held)}\n  ${want.input ? describeInput(want.input) : 'bystander'}`,
        );
    }
    for (const [key, held] of stored)
      if (!expected.has(key)) wrong.push(`${key}: stored ${JSON.stringify(held)} but never acked`);
    const perTable = recordKinds.map(({ table }) => {
      const rows = [...stored.values()].flat().filter((h) => h.table === table);
      return `${table} ${rows.reduce((n, h) => n + h.rows, 0)}`;
    });
    t.diagnostic(
      `seed ${SEED}, ${iterations.length} inputs: ${[...tally].map(([k, n]) => `${k} ${n}`).join(', ')}; ` +
        `bystander ${bystanderBatches} batches; rows stored: ${perTable.join(', ')}`,
    );
    assert.deepEqual(
      wrong,
      [],
      `${wrong.length} batches stored otherwise than acked:\n${wrong.slice(0, 20).join('\n')}`,
    );

    const dead = await warehouse.query<{ target: string; error: string; record: string }>(
      'SELECT target, error, hex(record) AS record FROM dead_letters LIMIT 10',
    );
    assert.deepEqual(dead, [], 'records the collector acked and the warehouse refused');

    const connected = async () =>
      Number(
        (
          await warehouse.query<{ n: string }>(
            "SELECT count() AS n FROM generator_events WHERE event = 'connected'",
          )
        )[0]!.n,
      );
    const deadline = Date.now() + STORED_WITHIN_MS;
    while ((await connected()) < welcomed + 1 && Date.now() < deadline) await sleep(250);
    assert.equal(await connected(), welcomed + 1, 'a connected event for every welcomed Hello');
  });
});
