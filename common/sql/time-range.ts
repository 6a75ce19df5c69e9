/** A time range in microseconds since the epoch, [from, to). */
export interface TimeRange {
  fromUs: number;
  toUs: number;
}
