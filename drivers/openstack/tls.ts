/**
 * TLS for the OpenStack endpoints as clouds.yaml and the OS_* variables ask for it: `cacert` /
 * OS_CACERT (a private CA, trusted besides Node's own roots, as python-requests' `verify=<file>`
 * trusts that file) and `verify: false` / OS_INSECURE (no verification at all). Node's fetch takes
 * this per client as an undici dispatcher; without either, fetch's default agent (Node's roots and
 * NODE_EXTRA_CA_CERTS) is used.
 */
import { readFileSync } from 'node:fs';
import { rootCertificates } from 'node:tls';
import { Agent, type Dispatcher } from 'undici';

export function tlsDispatcher(o: { caFile?: string | undefined; insecure?: boolean }): Dispatcher | undefined {
  if (!o.caFile && !o.insecure) return undefined;
  let ca: string[] | undefined;
  if (o.caFile) {
    try {
      ca = [...rootCertificates, readFileSync(o.caFile, 'utf8')];
    } catch (err) {
      throw new Error(`The CA file ${o.caFile} (OS_CACERT / cacert) cannot be read: ${(err as Error).message}`);
    }
  }
  return new Agent({ connect: { ...(ca ? { ca } : {}), rejectUnauthorized: !o.insecure } });
}
