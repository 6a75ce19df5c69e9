import { sharedOptions, type ConfigOf } from '../common/config.js';
import { options as alarmsOptions } from '../alarms/index.js';
import { options as collectorOptions } from '../collector/index.js';
import { options as queryOptions } from '../query/index.js';
import { options as writerOptions } from '../writer/index.js';

/** The whole configuration table: the shared section and each service's own. */
export const options = {
  ...sharedOptions,
  ...collectorOptions,
  ...writerOptions,
  ...queryOptions,
  ...alarmsOptions,
};
export type Config = ConfigOf<typeof options>;
export type ConfigKey = keyof typeof options;
