/** Pushing a load balancer's configuration to its amphorae through the amphora driver. */
import { AmphoraStatus } from '../common/status';
import type { LoadBalancerConfig } from '../drivers/amphora/port';
import type { ActivityDeps } from './deps';

export function configureActivities({ db, amphoraDriver }: ActivityDeps) {
  /** The whole configuration in one query; `exclude` drops objects a flow is deleting. */
  async function loadConfig(loadBalancerId: string, exclude: string[]): Promise<LoadBalancerConfig> {
    const lb = await db.loadBalancer.findUniqueOrThrow({
      where: { id: loadBalancerId },
      include: {
        listeners: {
          include: {
            l7Policies: {
              orderBy: [{ position: 'asc' }, { createdAt: 'asc' }],
              include: { rules: { orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] } },
            },
          },
        },
        pools: { include: { members: true, healthMonitor: true } },
      },
    });
    const keep = <T extends { id: string }>(rows: T[]) => rows.filter((r) => !exclude.includes(r.id));
    return {
      loadBalancerId: lb.id,
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
        sessionPersistence: p.sessionPersistence,
        members: keep(p.members).map((m) => ({
          id: m.id,
          address: m.ipAddress,
          protocolPort: m.protocolPort,
          weight: m.weight,
          backup: m.backup,
          enabled: m.enabled,
        })),
        healthMonitor:
          p.healthMonitor && !exclude.includes(p.healthMonitor.id)
            ? {
                type: p.healthMonitor.type,
                delay: p.healthMonitor.delay,
                timeout: p.healthMonitor.timeout,
                maxRetries: p.healthMonitor.maxRetries,
                maxRetriesDown: p.healthMonitor.maxRetriesDown,
                httpMethod: p.healthMonitor.httpMethod,
                urlPath: p.healthMonitor.urlPath,
                expectedCodes: p.healthMonitor.expectedCodes,
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
      const amphorae = await db.amphora.findMany({
        where: {
          loadBalancerId: input.loadBalancerId,
          status: { in: [AmphoraStatus.ALLOCATED, AmphoraStatus.PENDING_CREATE] },
          // Failover configures only the replacement: the amphora it replaces may be unreachable.
          ...(input.amphoraIds ? { id: { in: input.amphoraIds } } : {}),
        },
      });
      await Promise.all(
        amphorae.map(async (a) => {
          const target = { amphoraId: a.id, lbNetworkIp: a.lbNetworkIp, role: a.role };
          await amphoraDriver.updateConfig(target, config);
          await (config.enabled ? amphoraDriver.start(target) : amphoraDriver.stop(target));
        }),
      );
    },
  };
}
