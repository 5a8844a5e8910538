/** The keepalived renderers of the rest amphora driver: VRRP for ACTIVE_STANDBY, LVS for UDP/SCTP listeners. */
export {
  DEFAULT_KEEPALIVED_VRRP_OPTIONS,
  DEFAULT_VRRP_ID,
  VRRP_PRIORITY,
  newVrrpGroup,
  renderKeepalivedVrrpConfig,
  type KeepalivedVrrpOptions,
  type VrrpAmphora,
  type VrrpGroup,
  type VrrpRenderInput,
} from './vrrp';
export { isLvsProtocol, lvsListeners, renderKeepalivedLvsConfig } from './lvs';
export { unsupportedLvsFeatures, unsupportedLvsMemberFeatures } from './unsupported';
