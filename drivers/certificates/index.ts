/** The certificate authority: Octavia's only generator, `local` (drivers/certificates/local.ts). */
import type { Config } from '../../config';
import { LocalCertificateAuthority } from './local';
import type { CertificateAuthority } from './port';

/** From [certificates] and the [haproxy_amphora] client_cert / server_ca (config/data-plane.ts). */
export function createCertificateAuthority(config: Config): CertificateAuthority {
  const { certificates, amphora } = config.dataPlane;
  return new LocalCertificateAuthority({
    ...certificates,
    caPrivateKeyPassphrase: certificates.caPrivateKeyPassphrase?.reveal(),
    clientCert: amphora.clientCert,
    serverCa: amphora.serverCa,
  });
}

export * from './port';
export { LocalCertificateAuthority, type LocalCaSettings } from './local';
export type { SigningDigest } from './x509';
