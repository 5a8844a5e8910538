/**
 * With the `rest` amphora driver, what it cannot serve yet is refused at the API with Octavia's answer
 * for an option the provider does not support (501 `Provider 'amphora' does not support a requested
 * option: ...`), never discovered at the next reload; with the no-op driver everything Octavia accepts
 * is accepted. The sentences are the renderer's (drivers/amphora/rest/haproxy/unsupported.ts).
 */
import { ProviderUnsupportedOption } from '../common/errors';
import { unsupportedListenerFeatures, unsupportedPoolFeatures } from '../drivers/amphora/rest/haproxy';
import type { ApiDeps } from './deps';

type Refs = string | null | undefined;

interface ListenerFields {
  protocol: string;
  default_tls_container_ref?: Refs;
  sni_container_refs?: string[] | null;
  client_ca_tls_container_ref?: Refs;
  client_crl_container_ref?: Refs;
  tls_ciphers?: Refs;
  tls_versions?: string[] | null;
  alpn_protocols?: string[] | null;
}

interface PoolFields {
  protocol: string;
  lb_algorithm: string;
  tls_container_ref?: Refs;
  ca_tls_container_ref?: Refs;
  crl_container_ref?: Refs;
  tls_ciphers?: Refs;
  tls_versions?: string[] | null;
  alpn_protocols?: string[] | null;
}

function refuse(problems: string[]): void {
  if (problems.length > 0) throw new ProviderUnsupportedOption('amphora', problems.join(' '));
}

const rest = (deps: ApiDeps) => deps.config.dataPlane.amphora.driver === 'rest';

export function checkListenerSupported(deps: ApiDeps, l: ListenerFields): void {
  if (!rest(deps)) return;
  refuse(
    unsupportedListenerFeatures({
      protocol: l.protocol as Parameters<typeof unsupportedListenerFeatures>[0]['protocol'],
      tls: {
        certificateRef: l.default_tls_container_ref ?? null,
        sniCertificateRefs: l.sni_container_refs ?? [],
        clientCaRef: l.client_ca_tls_container_ref ?? null,
        clientAuthentication: 'NONE',
        clientCrlRef: l.client_crl_container_ref ?? null,
        ciphers: l.tls_ciphers ?? null,
        versions: l.tls_versions ?? null,
        alpnProtocols: l.alpn_protocols ?? null,
      },
    }),
  );
}

export function checkPoolSupported(deps: ApiDeps, p: PoolFields): void {
  if (!rest(deps)) return;
  refuse(
    unsupportedPoolFeatures({
      protocol: p.protocol as Parameters<typeof unsupportedPoolFeatures>[0]['protocol'],
      lbAlgorithm: p.lb_algorithm as Parameters<typeof unsupportedPoolFeatures>[0]['lbAlgorithm'],
      tls: {
        enabled: false,
        certificateRef: p.tls_container_ref ?? null,
        caCertificateRef: p.ca_tls_container_ref ?? null,
        crlRef: p.crl_container_ref ?? null,
        ciphers: p.tls_ciphers ?? null,
        versions: p.tls_versions ?? null,
        alpnProtocols: p.alpn_protocols ?? null,
      },
    }),
  );
}
