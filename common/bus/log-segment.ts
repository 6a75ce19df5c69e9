import { crc32 } from 'node:zlib';
import { FabricError } from '../errors.js';
import type { BusMessage } from './bus.js';

/**
 * The on-disk format of the local log (local-log.ts): a topic is a folder of segment files, each
 * named by the log position of its first byte, holding frames back to back:
 *
 *   u32 body length · u32 CRC-32 of the body · body = u32 key length · key (UTF-8) · value
 *
 * A position is a byte offset in the topic's log as if its segments were one file, so a committed
 * position names a segment and a place in it without an index.
 */
const HEADER = 8;
const KEY_LENGTH = 4;

export const segmentName = (base: number): string => `${String(base).padStart(20, '0')}.log`;
export const segmentBase = (name: string): number | undefined =>
  /^\d{20}\.log$/.test(name) ? Number(name.slice(0, 20)) : undefined;

/**
 * A message's frame as the buffers to write: its header and key, then its value as it is. The value
 * is not copied (a flow batch is hundreds of kilobytes; the bus appends hundreds of megabytes a
 * minute), and the CRC runs over the key part and then the value.
 */
export function encodeFrame(message: BusMessage): [head: Buffer, value: Buffer] {
  const key = Buffer.from(message.key);
  const head = Buffer.allocUnsafe(HEADER + KEY_LENGTH + key.length);
  head.writeUInt32BE(KEY_LENGTH + key.length + message.value.length, 0);
  head.writeUInt32BE(key.length, HEADER);
  key.copy(head, HEADER + KEY_LENGTH);
  head.writeUInt32BE(crc32(message.value, crc32(head.subarray(HEADER))), 4);
  return [head, message.value];
}

/** A message read back, and where its frame starts and ends in the segment. */
export interface Frame {
  message: BusMessage;
  start: number;
  end: number;
}

export interface SegmentScan {
  frames: Frame[];
  /** Where the valid frames end: the segment's length, or where a torn tail starts. */
  validEnd: number;
  /** Why the bytes after validEnd were no frame (only for the last segment). */
  torn?: string;
}

/**
 * Reads the frames of a segment from `from` (a frame boundary). A bad frame at the end of the last
 * segment is a torn tail, what a crash during an append leaves (a partial frame, a frame whose
 * checksum fails and that ends the file, or zeros): scanning stops there. A bad frame anywhere else
 * is corruption of what was durable: an error naming the file and the byte.
 */
export function scanSegment(bytes: Buffer, path: string, from: number, last: boolean): SegmentScan {
  const frames: Frame[] = [];
  let at = from;
  while (at < bytes.length) {
    const problem = frameProblem(bytes, at);
    if (problem === undefined) {
      const end = at + HEADER + bytes.readUInt32BE(at);
      frames.push({ message: decodeBody(bytes.subarray(at + HEADER, end)), start: at, end });
      at = end;
      continue;
    }
    if (last && tornAt(bytes, at)) return { frames, validEnd: at, torn: problem };
    throw new FabricError('INTERNAL', `corrupt bus log ${path} at byte ${at}: ${problem}`);
  }
  return { frames, validEnd: at };
}

/** What is wrong with the frame at `at`, or undefined when it is whole and intact. */
function frameProblem(bytes: Buffer, at: number): string | undefined {
  if (bytes.length - at < HEADER) return `${bytes.length - at} bytes, less than a frame header`;
  const length = bytes.readUInt32BE(at);
  if (length < KEY_LENGTH) return `frame length ${length} is too short`;
  const end = at + HEADER + length;
  if (end > bytes.length) return `frame of ${length} bytes, ${bytes.length - at - HEADER} left`;
  const body = bytes.subarray(at + HEADER, end);
  if (crc32(body) !== bytes.readUInt32BE(at + 4)) return 'checksum mismatch';
  if (KEY_LENGTH + body.readUInt32BE(0) > length) return 'key longer than the frame';
  return undefined;
}

/** A bad frame is a torn tail when nothing intact could follow it: it runs to the end, or zeros do. */
function tornAt(bytes: Buffer, at: number): boolean {
  if (bytes.length - at < HEADER) return true;
  if (at + HEADER + bytes.readUInt32BE(at) >= bytes.length) return true;
  return bytes.subarray(at).every((b) => b === 0);
}

function decodeBody(body: Buffer): BusMessage {
  const keyEnd = KEY_LENGTH + body.readUInt32BE(0);
  // Copied out of the segment read at start, so keeping a message does not keep the whole file.
  return { key: body.toString('utf8', KEY_LENGTH, keyEnd), value: Buffer.from(body.subarray(keyEnd)) };
}
