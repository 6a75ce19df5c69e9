/**
 * At most `concurrent` holders at once; the others wait in order. A wait longer than `waitMs` is
 * given up with the error `refusal` makes (the caller's own words for "busy").
 */
export interface Slots {
  take(): Promise<void>;
  release(): void;
}

export function slots(concurrent: number, waitMs: number, refusal: () => Error): Slots {
  let running = 0;
  const waiting: (() => void)[] = [];
  return {
    take: async () => {
      if (running < concurrent) {
        running++;
        return;
      }
      await new Promise<void>((resolve, reject) => {
        const turn = () => {
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(() => {
          waiting.splice(waiting.indexOf(turn), 1);
          reject(refusal());
        }, waitMs);
        waiting.push(turn);
      });
    },
    release: () => {
      const next = waiting.shift();
      if (next) next();
      else running--;
    },
  };
}
