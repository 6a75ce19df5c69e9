import type { z } from 'zod';
import { invalid } from '../../common/errors.js';

/**
 * Cursors are opaque to clients: the base64url of a position's JSON. They come back as arguments,
 * so a cursor is checked against the shape of the positions the API hands out before any of it
 * reaches SQL; anything else is refused, naming the argument.
 */
export interface CursorCodec<Position> {
  encode(position: Position): string;
  /** The position in `text`, or an error naming the argument `what`. */
  decode(text: string, what: string): Position;
}

export function cursorCodec<Position>(shape: z.ZodType<Position>): CursorCodec<Position> {
  return {
    encode: (position) => Buffer.from(JSON.stringify(position)).toString('base64url'),
    decode: (text, what) => {
      const parsed = shape.safeParse(json(Buffer.from(text, 'base64url').toString()));
      if (!parsed.success) throw invalid(`${what}: "${text}" is not a cursor this API returned`);
      return parsed.data;
    },
  };
}

function json(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined; // which no shape accepts
  }
}
