import { config } from '../config';

/** TEMPORAL_ADDRESS, or the local dev server that `npm start` runs. */
export const defaultTemporalAddress = () =>
  config.temporal.address ?? `${config.temporal.devServer.ip}:${config.temporal.devServer.port}`;
