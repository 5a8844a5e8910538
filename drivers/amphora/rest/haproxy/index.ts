/** The haproxy.cfg renderer of the rest amphora driver (Octavia 11's combined_listeners template). */
export { renderHaproxyConfig, haproxyPeerName } from './render';
export { DEFAULT_HAPROXY_OPTIONS, haproxyFeatures, type HaproxyAmphoraOptions, type HaproxyFeatures, type HaproxyRenderContext } from './context';
export { unsupportedFeatures, unsupportedListenerFeatures, unsupportedPoolFeatures } from './unsupported';
