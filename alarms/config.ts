import { z } from 'zod';
import { positive, type OptionTable } from '../common/config.js';
import { notifyOptions } from './notify/config.js';

/** The alarm engine's section of the configuration: how it reads the bus, where it notifies. */
export const alarmsOptions = {
  alarmsMaxBytes: {
    flag: 'alarms-max-bytes',
    env: 'FABRICSCOPE_ALARMS_MAX_BYTES',
    default: 8 * 1024 * 1024,
    schema: positive,
    help: 'Bus bytes the alarm engine takes in one delivery, at most',
  },
  alarmsLingerMs: {
    flag: 'alarms-linger-ms',
    env: 'FABRICSCOPE_ALARMS_LINGER_MS',
    default: 20,
    schema: z.coerce.number().int().min(0),
    help: 'How long the alarm engine waits to gather UVE changes into one evaluation',
  },
  alarmsThresholdRules: {
    flag: 'alarms-threshold-rules',
    env: 'FABRICSCOPE_ALARMS_THRESHOLD_RULES',
    default: '',
    schema: z.string(),
    help: 'A folder of threshold rules (*.json) the alarm engine evaluates; none when empty (deploy/threshold-rules/ has examples)',
  },
  ...notifyOptions,
} as const satisfies OptionTable;
