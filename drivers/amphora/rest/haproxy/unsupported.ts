/**
 * What the `rest` amphora driver cannot serve yet, as the sentences that end Octavia's 501
 * `Provider 'amphora' does not support a requested option: <sentence>`. The API refuses these up front
 * (never discovered at reload); the renderer refuses the ones that would need certificates.
 *
 * - TLS termination and every certificate reference need a certificate manager, which this deployment
 *   does not have (the driver would have to upload the PEMs that haproxy.cfg points at);
 * - TLS cipher, version and ALPN lists have no storage here (the API shows null);
 * - UDP and SCTP are served by keepalived/LVS through the agent's udp_listener calls, not done yet;
 * - SOURCE_IP_PORT, which Octavia's amphora provider refuses (HAProxy has no such balance).
 */
import type { ListenerConfig, LoadBalancerConfig, PoolConfig } from '../../port';

const CERTIFICATES = 'TLS certificates need a certificate manager, and none is configured.';
const TLS_SETTINGS = 'TLS cipher, TLS version and ALPN settings are not supported.';
const LVS = (protocol: string) => `${protocol} is served by keepalived/LVS, which this amphora driver does not configure yet.`;

const isLvs = (protocol: string) => protocol === 'UDP' || protocol === 'SCTP';
const hasTlsSettings = (tls: { ciphers: string | null; versions: string[] | null; alpnProtocols: string[] | null }) =>
  tls.ciphers !== null || tls.versions !== null || tls.alpnProtocols !== null;

/** What the renderer cannot put in haproxy.cfg (files it would have to name). */
function unrenderableListener(listener: Pick<ListenerConfig, 'protocol' | 'tls'>): string[] {
  const { tls } = listener;
  const problems: string[] = [];
  const certificates =
    listener.protocol === 'TERMINATED_HTTPS' ||
    tls.certificateRef !== null ||
    tls.sniCertificateRefs.length > 0 ||
    tls.clientCaRef !== null ||
    tls.clientCrlRef !== null;
  if (certificates) problems.push(`TERMINATED_HTTPS listeners: ${CERTIFICATES}`);
  if (hasTlsSettings(tls)) problems.push(`Listener ${TLS_SETTINGS}`);
  return problems;
}

function unrenderablePool(pool: Pick<PoolConfig, 'tls'>): string[] {
  const { tls } = pool;
  const problems: string[] = [];
  if (tls.certificateRef !== null || tls.caCertificateRef !== null || tls.crlRef !== null) problems.push(`Pool ${CERTIFICATES}`);
  if (hasTlsSettings(tls)) problems.push(`Pool ${TLS_SETTINGS}`);
  return problems;
}

/** What a listener asks for that the rest driver cannot serve (empty: all of it can be served). */
export function unsupportedListenerFeatures(listener: Pick<ListenerConfig, 'protocol' | 'tls'>): string[] {
  return isLvs(listener.protocol) ? [LVS(listener.protocol)] : unrenderableListener(listener);
}

/** What a pool asks for that the rest driver cannot serve (empty: all of it can be served). */
export function unsupportedPoolFeatures(pool: Pick<PoolConfig, 'protocol' | 'lbAlgorithm' | 'tls'>): string[] {
  const problems = isLvs(pool.protocol) ? [LVS(pool.protocol)] : unrenderablePool(pool);
  // Octavia's amphora provider message (api/drivers/amphora_driver/v2/driver.py).
  if (pool.lbAlgorithm === 'SOURCE_IP_PORT') problems.push('Amphora provider does not support SOURCE_IP_PORT algorithm.');
  return problems;
}

/** Everything in a load balancer's configuration the rest driver cannot serve, each sentence once. */
export function unsupportedFeatures(config: LoadBalancerConfig): string[] {
  return [...new Set([...config.listeners.flatMap(unsupportedListenerFeatures), ...config.pools.flatMap(unsupportedPoolFeatures)])];
}

/** The subset the renderer refuses: HAProxy listeners and pools that would need certificates or TLS lists. */
export function unrenderable(config: LoadBalancerConfig): string[] {
  const listeners = config.listeners.filter((l) => !isLvs(l.protocol));
  return [...new Set([...listeners.flatMap(unrenderableListener), ...config.pools.flatMap(unrenderablePool)])];
}
