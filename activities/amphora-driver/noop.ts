/**
 * The no-op amphora driver: accepts every configuration and remembers the last one per amphora, so tests
 * can check what a flow pushed; reports zero traffic and every member UP. `failUpdates` injects a fault
 * into configuration pushes.
 */
import { AmphoraComputeError } from '../compute/errors';
import type { AmphoraDriver, AmphoraHealthReport, AmphoraTarget, ListenerStats, LoadBalancerConfig } from './driver';

export class NoopAmphoraDriver implements AmphoraDriver {
  readonly name = 'noop';
  /** Inject: configuration pushes fail (non-retryable, so flows compensate at once). */
  failUpdates = false;
  /** Inject: every configuration push takes this long (holds a flow in its PENDING state). */
  latencyMs = 0;
  private readonly configs = new Map<string, LoadBalancerConfig>();
  private readonly running = new Map<string, boolean>();

  async updateConfig(amphora: AmphoraTarget, config: LoadBalancerConfig): Promise<void> {
    if (this.latencyMs) await new Promise((r) => setTimeout(r, this.latencyMs));
    if (this.failUpdates) {
      throw new AmphoraComputeError(`Injected fault: amphora ${amphora.amphoraId} rejected its configuration.`, { retryable: false });
    }
    this.configs.set(amphora.amphoraId, structuredClone(config));
    this.running.set(amphora.amphoraId, config.enabled);
  }

  async start(amphora: AmphoraTarget): Promise<void> {
    this.running.set(amphora.amphoraId, true);
  }

  async stop(amphora: AmphoraTarget): Promise<void> {
    this.running.set(amphora.amphoraId, false);
  }

  async removeConfig(amphora: AmphoraTarget): Promise<void> {
    this.configs.delete(amphora.amphoraId);
    this.running.delete(amphora.amphoraId);
  }

  async getStats(amphora: AmphoraTarget): Promise<ListenerStats[]> {
    const config = this.configs.get(amphora.amphoraId);
    return (config?.listeners ?? []).map((l) => ({
      listenerId: l.id,
      bytesIn: 0,
      bytesOut: 0,
      activeConnections: 0,
      totalConnections: 0,
      requestErrors: 0,
    }));
  }

  async getHealth(amphora: AmphoraTarget): Promise<AmphoraHealthReport> {
    const config = this.configs.get(amphora.amphoraId);
    const members = Object.fromEntries(
      (config?.pools ?? []).flatMap((p) => p.members.map((m) => [m.id, m.enabled ? 'UP' : 'DOWN'] as const)),
    );
    return { amphoraId: amphora.amphoraId, members };
  }

  /** The configuration last pushed to an amphora (tests). */
  configOf(amphoraId: string): LoadBalancerConfig | undefined {
    return this.configs.get(amphoraId);
  }
}
