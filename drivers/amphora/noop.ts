/**
 * The no-op amphora driver: accepts every configuration and remembers the last one per amphora, so tests
 * can check what a flow pushed; reports zero traffic and every member UP. `failUpdates` injects a fault
 * into configuration pushes.
 *
 * It also plays the amphora agents' heartbeats, so the health manager has something to watch on a
 * laptop: once `startHeartbeats` is called (platform/system.ts does, for the driver it creates; a test
 * system hands in its own driver, so tests have none until they call it), every amphora it holds a
 * configuration for sends a heartbeat every interval to the health manager's UDP receiver, in the
 * agent's envelope (drivers/amphora/heartbeat.ts), with its listeners, pools and members as haproxy
 * would report them and no traffic. An amphora stops when its compute instance is gone
 * (`instanceAlive`) or when a test silences it (`silence`).
 */
import { AmphoraComputeError } from '../compute/errors';
import { HeartbeatSender, type HeartbeatMemberStatus, type HeartbeatMessage, type HeartbeatTarget } from './heartbeat';
import type { AmphoraNetworkConfig, MemberNic } from '../network/port';
import type { AmphoraBoot, AmphoraDriver, AmphoraInfo, AmphoraTarget, LoadBalancerConfig } from './port';

export interface HeartbeatOptions {
  /** The health manager's receiver ([health_manager] bind_ip:bind_port). */
  target: HeartbeatTarget;
  intervalMs: number;
  /** HEARTBEAT_KEY: the envelope's HMAC key. */
  key: string;
}

export class NoopAmphoraDriver implements AmphoraDriver {
  readonly name = 'noop';
  /** Inject: configuration pushes fail (non-retryable, so flows compensate at once). */
  failUpdates = false;
  /** Inject: every configuration push takes this long (holds a flow in its PENDING state). */
  latencyMs = 0;
  private readonly configs = new Map<string, LoadBalancerConfig>();
  private readonly running = new Map<string, boolean>();
  /** What each amphora was asked besides its configuration (tests read them, as configOf). */
  readonly vipPlugs = new Map<string, { vipAddress: string; network: AmphoraNetworkConfig }>();
  readonly agentConfigs = new Map<string, string>();
  readonly vrrpConfigs = new Map<string, string>();
  readonly vrrpStarted = new Set<string>();
  /** Whether an amphora's compute instance still exists: a deleted amphora stops heartbeating. */
  instanceAlive?: (amphoraId: string) => Promise<boolean>;
  /** Inject: what a member reports (default UP when its pool has a health monitor, "no check" without). */
  readonly memberStatus = new Map<string, HeartbeatMemberStatus>();
  private readonly silenced = new Set<string>();
  private heartbeats: HeartbeatOptions | undefined;
  private sender: HeartbeatSender | undefined;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private heartbeatRound: Promise<void> = Promise.resolve();
  private seq = 0;

  /** No-op amphorae boot from nothing. */
  async bootFiles(): Promise<AmphoraBoot | null> {
    return null;
  }

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

  /** What the recorded Octavia 11 agent reports (shared/reference/amphora-agent, GET /1.0/info). */
  async getInfo(amphora: AmphoraTarget): Promise<AmphoraInfo> {
    return {
      hostname: `amphora-${amphora.amphoraId}`,
      haproxyVersion: '2.6.12-1+deb12u4',
      apiVersion: '1.0',
      keepalivedVersion: '1:2.2.7-1+b2',
      ipvsadmVersion: '1:1.31-1+b1',
    };
  }

  async plugVip(amphora: AmphoraTarget, vipAddress: string, network: AmphoraNetworkConfig): Promise<void> {
    this.vipPlugs.set(amphora.amphoraId, structuredClone({ vipAddress, network }));
  }

  /** Per amphora, the member NICs brought up on it (post_network_plug), by MAC. */
  readonly networkPlugs = new Map<string, Map<string, MemberNic>>();

  async plugNetwork(amphora: AmphoraTarget, nic: MemberNic): Promise<void> {
    const plugs = this.networkPlugs.get(amphora.amphoraId) ?? new Map<string, MemberNic>();
    plugs.set(nic.macAddress, structuredClone(nic));
    this.networkPlugs.set(amphora.amphoraId, plugs);
  }

  async updateAgentConfig(amphora: AmphoraTarget, agentConfig: string): Promise<void> {
    this.agentConfigs.set(amphora.amphoraId, agentConfig);
  }

  /** What Octavia's agent always names the VIP NIC. */
  async getInterface(): Promise<string> {
    return 'eth1';
  }

  async uploadVrrpConfig(amphora: AmphoraTarget, keepalivedConfig: string): Promise<void> {
    this.vrrpConfigs.set(amphora.amphoraId, keepalivedConfig);
  }

  async startVrrp(amphora: AmphoraTarget): Promise<void> {
    this.vrrpStarted.add(amphora.amphoraId);
  }

  /** Starts emitting heartbeats (replacing any previous emission): the first round at once. */
  startHeartbeats(opts: HeartbeatOptions): void {
    clearTimeout(this.heartbeatTimer);
    void this.sender?.close();
    this.heartbeats = opts;
    this.sender = new HeartbeatSender(opts.target, opts.key);
    const tick = () => {
      this.heartbeatRound = this.sendHeartbeats().finally(() => {
        if (this.heartbeats === opts) {
          this.heartbeatTimer = setTimeout(tick, opts.intervalMs);
          this.heartbeatTimer.unref();
        }
      });
    };
    tick();
  }

  /** Stops emitting (every amphora), after the round in flight. */
  async stopHeartbeats(): Promise<void> {
    this.heartbeats = undefined;
    clearTimeout(this.heartbeatTimer);
    await this.heartbeatRound;
    await this.sender?.close();
    this.sender = undefined;
  }

  get heartbeating(): boolean {
    return this.heartbeats !== undefined;
  }

  /** Stops one amphora's heartbeats (it looks dead to the health manager) ... */
  silence(amphoraId: string): void {
    this.silenced.add(amphoraId);
  }

  /** ... and lets it heartbeat again. */
  resume(amphoraId: string): void {
    this.silenced.delete(amphoraId);
  }

  /** One round: every configured, live, unsilenced amphora sends its heartbeat. Failures are ignored. */
  async sendHeartbeats(): Promise<void> {
    const sender = this.sender;
    if (!sender) return;
    await Promise.all(
      [...this.configs.keys()].map(async (amphoraId) => {
        if (this.silenced.has(amphoraId)) return;
        if (this.instanceAlive && !(await this.instanceAlive(amphoraId).catch(() => true))) return;
        const message = this.heartbeatMessage(amphoraId);
        if (!message || this.silenced.has(amphoraId)) return;
        // A datagram the receiver never gets is what UDP does; the next interval sends another.
        await sender.send(message).catch(() => undefined);
      }),
    );
  }

  /** The heartbeat an amphora sends now: what haproxy would report for its configuration. */
  heartbeatMessage(amphoraId: string): HeartbeatMessage | undefined {
    const config = this.configs.get(amphoraId);
    if (!config) return undefined;
    const message: HeartbeatMessage = { id: amphoraId, seq: ++this.seq, ver: 3, listeners: {}, pools: {} };
    // A stopped service (admin_state_up false) reports no listeners: the agent is alive, haproxy is not.
    if (!config.enabled || this.running.get(amphoraId) === false) return message;
    for (const listener of config.listeners.filter((l) => l.enabled)) {
      message.listeners[listener.id] = { status: 'OPEN', stats: { tx: 0, rx: 0, conns: 0, totconns: 0, ereq: 0 } };
      const pool = config.pools.find((p) => p.id === listener.defaultPoolId && p.enabled);
      if (!pool) continue;
      const members: Record<string, HeartbeatMemberStatus> = {};
      for (const m of pool.members) {
        members[m.id] = m.enabled ? (this.memberStatus.get(m.id) ?? (pool.healthMonitor?.enabled ? 'UP' : 'no check')) : 'MAINT';
      }
      const serving = pool.members.filter((m) => m.enabled);
      const down = serving.length > 0 && serving.every((m) => members[m.id] === 'DOWN');
      message.pools[`${pool.id}:${listener.id}`] = { status: down ? 'DOWN' : 'UP', members };
    }
    return message;
  }

  /** The configuration last pushed to an amphora (tests). */
  configOf(amphoraId: string): LoadBalancerConfig | undefined {
    return this.configs.get(amphoraId);
  }
}
