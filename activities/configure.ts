/** Pushing a load balancer's configuration to its amphorae through the amphora driver. */
import { AmphoraStatus } from '../common/status';
import type { ListenerConfig, LoadBalancerConfig, PoolConfig } from '../drivers/amphora/port';
import type { ActivityDeps } from './deps';

export function configureActivities({ db, amphoraDriver }: ActivityDeps) {
  /** The whole configuration in one query; `exclude` drops objects a flow is deleting. */
  async function loadConfig(loadBalancerId: string, exclude: string[]): Promise<LoadBalancerConfig> {
    // Creation order everywhere: the rendered haproxy.cfg must not change when nothing did.
    const byAge = [{ createdAt: 'asc' as const }, { id: 'asc' as const }];
    const lb = await db.loadBalancer.findUniqueOrThrow({
      where: { id: loadBalancerId },
      include: {
        listeners: {
          orderBy: byAge,
          include: {
            l7Policies: {
              orderBy: [{ position: 'asc' }, { createdAt: 'asc' }],
              include: { rules: { orderBy: byAge } },
            },
          },
        },
        pools: { orderBy: byAge, include: { members: { orderBy: byAge }, healthMonitor: true } },
      },
    });
    const keep = <T extends { id: string }>(rows: T[]) => rows.filter((r) => !exclude.includes(r.id));
    return {
      loadBalancerId: lb.id,
      projectId: lb.projectId,
      enabled: lb.enabled,
      vipAddress: lb.vipAddress,
      topology: lb.topology,
      listeners: keep(lb.listeners).map((l) => ({
        id: l.id,
        protocol: l.protocol,
        protocolPort: l.protocolPort,
        enabled: l.enabled,
        connectionLimit: l.connectionLimit,
        defaultPoolId: l.defaultPoolId && !exclude.includes(l.defaultPoolId) ? l.defaultPoolId : null,
        timeouts: {
          clientData: l.timeoutClientData,
          memberConnect: l.timeoutMemberConnect,
          memberData: l.timeoutMemberData,
          tcpInspect: l.timeoutTcpInspect,
        },
        insertHeaders: stringRecord(l.insertHeaders),
        allowedCidrs: l.allowedCidrs,
        // Client CA, CRL and cipher/version/ALPN settings of listeners are not stored (the API shows null).
        tls: {
          certificateRef: l.defaultTlsContainerRef,
          sniCertificateRefs: l.sniContainerRefs,
          clientCaRef: null,
          clientAuthentication: clientAuthentication(l.clientAuthentication),
          clientCrlRef: null,
          ciphers: null,
          versions: null,
          alpnProtocols: null,
        },
        // Ranked again without what is excluded: a policy being deleted leaves no gap (the row's own
        // renumbering comes when the flow removes it).
        l7Policies: keep(l.l7Policies).map((p, i) => ({
          id: p.id,
          position: i + 1,
          action: p.action,
          enabled: p.enabled,
          redirectPoolId: p.redirectPoolId && !exclude.includes(p.redirectPoolId) ? p.redirectPoolId : null,
          redirectUrl: p.redirectUrl,
          redirectPrefix: p.redirectPrefix,
          redirectHttpCode: p.redirectHttpCode,
          rules: keep(p.rules).map((r) => ({
            id: r.id,
            type: r.type,
            compareType: r.compareType,
            key: r.key,
            value: r.value,
            invert: r.invert,
            enabled: r.enabled,
          })),
        })),
      })),
      pools: keep(lb.pools).map((p) => ({
        id: p.id,
        protocol: p.protocol,
        lbAlgorithm: p.lbAlgorithm,
        enabled: p.enabled,
        sessionPersistence: sessionPersistence(p.sessionPersistence),
        // Only tls_enabled is stored: certificate references are refused by the API, lists have no column.
        tls: {
          enabled: p.tlsEnabled,
          certificateRef: null,
          caCertificateRef: null,
          crlRef: null,
          ciphers: null,
          versions: null,
          alpnProtocols: null,
        },
        members: keep(p.members).map((m) => ({
          id: m.id,
          address: m.ipAddress,
          protocolPort: m.protocolPort,
          weight: m.weight,
          backup: m.backup,
          enabled: m.enabled,
          monitorAddress: m.monitorAddress,
          monitorPort: m.monitorPort,
        })),
        healthMonitor:
          p.healthMonitor && !exclude.includes(p.healthMonitor.id)
            ? {
                id: p.healthMonitor.id,
                type: p.healthMonitor.type,
                delay: p.healthMonitor.delay,
                timeout: p.healthMonitor.timeout,
                maxRetries: p.healthMonitor.maxRetries,
                maxRetriesDown: p.healthMonitor.maxRetriesDown,
                httpMethod: p.healthMonitor.httpMethod,
                urlPath: p.healthMonitor.urlPath,
                expectedCodes: p.healthMonitor.expectedCodes,
                httpVersion: p.healthMonitor.httpVersion === null ? null : p.healthMonitor.httpVersion.toNumber(),
                domainName: p.healthMonitor.domainName,
                enabled: p.healthMonitor.enabled,
              }
            : null,
      })),
    };
  }

  return {
    /**
     * Renders the load balancer's current configuration (minus `exclude`) onto every amphora serving it
     * (allocated, or being built for it by a create or failover flow),
     * and starts or stops the service to match admin_state_up. Idempotent: the same state pushed twice.
     */
    async pushLoadBalancerConfig(input: { loadBalancerId: string; exclude?: string[]; amphoraIds?: string[] }): Promise<void> {
      const config = await loadConfig(input.loadBalancerId, input.exclude ?? []);
      const serving = await db.amphora.findMany({
        where: { loadBalancerId: input.loadBalancerId, status: { in: [AmphoraStatus.ALLOCATED, AmphoraStatus.PENDING_CREATE] } },
      });
      // HAProxy's peers (ACTIVE_STANDBY) are every amphora of the pair; the pushes go to all of them, or
      // in a failover only to the replacement: the amphora it replaces may be unreachable.
      const peers = serving.map((a) => ({ id: a.id, vrrpIp: a.vrrpIp, status: a.status }));
      const targets = input.amphoraIds ? serving.filter((a) => input.amphoraIds!.includes(a.id)) : serving;
      await Promise.all(
        targets.map(async (a) => {
          const target = { amphoraId: a.id, lbNetworkIp: a.lbNetworkIp, role: a.role };
          // The upload's reload starts a stopped service; admin_state_up=false stops it after.
          await amphoraDriver.updateConfig(target, config, peers);
          if (!config.enabled) await amphoraDriver.stop(target, input.loadBalancerId);
        }),
      );
    },
  };
}

/** insert_headers as stored (a JSON object of strings; anything else is no header). */
function stringRecord(json: unknown): Record<string, string> {
  if (!json || typeof json !== 'object' || Array.isArray(json)) return {};
  return Object.fromEntries(Object.entries(json).filter((e): e is [string, string] => typeof e[1] === 'string'));
}

/** The stored session persistence JSON (Octavia's wire keys). */
function sessionPersistence(json: unknown): PoolConfig['sessionPersistence'] {
  if (!json || typeof json !== 'object') return null;
  const sp = json as { type?: unknown; cookie_name?: unknown; persistence_timeout?: unknown; persistence_granularity?: unknown };
  if (sp.type !== 'SOURCE_IP' && sp.type !== 'HTTP_COOKIE' && sp.type !== 'APP_COOKIE') return null;
  return {
    type: sp.type,
    cookieName: typeof sp.cookie_name === 'string' ? sp.cookie_name : null,
    persistenceTimeout: typeof sp.persistence_timeout === 'number' ? sp.persistence_timeout : null,
    persistenceGranularity: typeof sp.persistence_granularity === 'string' ? sp.persistence_granularity : null,
  };
}

function clientAuthentication(value: string): ListenerConfig['tls']['clientAuthentication'] {
  return value === 'OPTIONAL' || value === 'MANDATORY' ? value : 'NONE';
}
