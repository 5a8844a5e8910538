/** The local network driver: one tenant network on this machine, in namespaces the project makes. */
export { LocalNetworkDriver, LOCAL_DEFAULTS as LOCAL_NETWORK_DEFAULTS, tapName, type LocalNetworkOptions, type LocalPort, type LocalPortPlug, type TenantHost } from './driver';
