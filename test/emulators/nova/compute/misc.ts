/** Version documents (03, 04) and availability zones. */
import type { Endpoints } from '../http';
import { MAX_VERSION, MIN_VERSION } from '../microversion';
import { AVAILABILITY_ZONE, HOST, isoMicro } from '../state';
import { type ComputeCtx, type Ok, requireAdmin } from './context';

/** GET /compute/ */
export function versionsRoot(ep: Endpoints): unknown {
  return {
    versions: [
      {
        id: 'v2.0',
        status: 'SUPPORTED',
        version: '',
        min_version: '',
        updated: '2011-01-21T11:33:21Z',
        links: [{ rel: 'self', href: `${ep.computeRoot}/v2/` }],
      },
      {
        id: 'v2.1',
        status: 'CURRENT',
        version: MAX_VERSION,
        min_version: MIN_VERSION,
        updated: '2013-07-23T11:33:21Z',
        links: [{ rel: 'self', href: `${ep.computeRoot}/v2.1/` }],
      },
    ],
  };
}

/** GET /compute/v2.1/ (and /compute/v2/ for the legacy v2.0 entry point). */
export function versionDoc(ep: Endpoints, legacy: boolean): unknown {
  return {
    version: {
      id: legacy ? 'v2.0' : 'v2.1',
      status: legacy ? 'SUPPORTED' : 'CURRENT',
      version: legacy ? '' : MAX_VERSION,
      min_version: legacy ? '' : MIN_VERSION,
      updated: legacy ? '2011-01-21T11:33:21Z' : '2013-07-23T11:33:21Z',
      links: [
        { rel: 'self', href: `${ep.computeRoot}/${legacy ? 'v2' : 'v2.1'}/` },
        { rel: 'describedby', type: 'text/html', href: 'http://docs.openstack.org/' },
      ],
      'media-types': [{ base: 'application/json', type: `application/vnd.openstack.compute+json;version=${legacy ? '2' : '2.1'}` }],
    },
  };
}

/** GET /os-availability-zone */
export function availabilityZones(): Ok {
  return {
    status: 200,
    body: { availabilityZoneInfo: [{ zoneName: AVAILABILITY_ZONE, zoneState: { available: true }, hosts: null }] },
  };
}

/** GET /os-availability-zone/detail (admin) */
export function availabilityZonesDetail(ctx: ComputeCtx): Ok {
  requireAdmin(ctx, 'os_compute_api:os-availability-zone:detail');
  const updated = isoMicro(Date.now());
  const svc = { available: true, active: true, updated_at: updated };
  return {
    status: 200,
    body: {
      availabilityZoneInfo: [
        {
          zoneName: 'internal',
          zoneState: { available: true },
          hosts: { 'novaref-controller': { 'nova-conductor': svc, 'nova-scheduler': svc } },
        },
        { zoneName: AVAILABILITY_ZONE, zoneState: { available: true }, hosts: { [HOST]: { 'nova-compute': svc } } },
      ],
    },
  };
}
