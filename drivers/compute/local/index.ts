/** The local compute driver: amphorae as namespaces on this machine running Debian's octavia-agent. */
export { LocalComputeDriver, LOCAL_COMPUTE_DEFAULTS, type LocalComputeOptions } from './driver';
export { amphoraNetns } from './names';
