/** The certificate authority: Octavia's only generator, `local` (drivers/certificates/local.ts). */
import { LocalCertificateAuthority, type LocalCaSettings } from './local';
import type { CertificateAuthority } from './port';

export function createCertificateAuthority(settings: LocalCaSettings): CertificateAuthority {
  return new LocalCertificateAuthority(settings);
}

export * from './port';
export { LocalCertificateAuthority, type LocalCaSettings } from './local';
export type { SigningDigest } from './x509';
