/**
 * TLS for the OpenStack endpoints as clouds.yaml and the OS_* variables ask for it: `cacert` /
 * OS_CACERT (a private CA, trusted besides Node's own roots, as python-requests' `verify=<file>`
 * trusts that file) and `verify: false` / OS_INSECURE (no verification at all). Node's fetch takes
 * this per client as an undici dispatcher; without either, fetch's default agent (Node's roots and
 * NODE_EXTRA_CA_CERTS) is used.
 *
 * undici (the package of the fetch Node 20 bundles) is loaded only when one of them is set, so a
 * checkout whose node_modules predates the dependency still builds and runs without them.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { rootCertificates } from 'node:tls';

/** An undici Dispatcher, opaque here: fetch's `dispatcher` option. */
export type TlsDispatcher = object;

type AgentClass = new (o: { connect: { ca?: string[]; rejectUnauthorized: boolean } }) => TlsDispatcher;

function undiciAgent(): AgentClass {
  try {
    return (createRequire(__filename)('undici') as { Agent: AgentClass }).Agent;
  } catch (err) {
    throw new Error(`OS_CACERT / OS_INSECURE need the undici package (run npm install): ${(err as Error).message}`);
  }
}

export function tlsDispatcher(o: { caFile?: string | undefined; insecure?: boolean }): TlsDispatcher | undefined {
  if (!o.caFile && !o.insecure) return undefined;
  let ca: string[] | undefined;
  if (o.caFile) {
    try {
      ca = [...rootCertificates, readFileSync(o.caFile, 'utf8')];
    } catch (err) {
      throw new Error(`The CA file ${o.caFile} (OS_CACERT / cacert) cannot be read: ${(err as Error).message}`);
    }
  }
  const Agent = undiciAgent();
  return new Agent({ connect: { ...(ca ? { ca } : {}), rejectUnauthorized: !o.insecure } });
}
