/**
 * The no-op amphora driver: accepts every configuration and remembers the last one per amphora, so tests
 * can check what a flow pushed; reports zero traffic and every member UP. `failUpdates` injects a fault
 * into configuration pushes (always, or with a probability: NOOP_FAULTS=config:error:0.3).
 *
 * What it was pushed survives a restart of the control plane when `statePath` is set (`npm start` keeps
 * it beside NOOP_STATE_FILE), as a real amphora keeps its configuration while the controller restarts:
 * the simulated amphorae go on heartbeating after a restart instead of being failed over.
 *
 * Like Octavia's no-op driver it sends no heartbeats. As an opt-in simulation for demos
 * (NOOP_HEARTBEATS=true, platform/system.ts; tests call `startHeartbeats` themselves), every amphora it
 * holds a configuration for sends a heartbeat every interval to the health manager's UDP receiver, in the
 * agent's envelope (drivers/amphora/heartbeat.ts), with its listeners, pools and members as haproxy
 * would report them and no traffic. An amphora stops when its compute instance is gone
 * (`instanceAlive`; it is then forgotten) or when a test silences it (`silence`).
 */
import { readFileSync } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
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

export interface NoopAmphoraOptions {
  /** Where pushed configurations survive a restart (unset: memory only). */
  statePath?: string;
  /** [certificates] cert_validity_time: the cert_expiration Octavia records for every amphora it builds. */
  certValiditySeconds?: number;
  /** Configuration pushes fail: true always, a number with that probability. */
  failUpdates?: boolean | number;
  latencyMs?: number;
  random?: () => number;
}

/** What is kept across restarts: everything a flow pushed, nothing a test injected. */
interface NoopAmphoraState {
  configs: [string, LoadBalancerConfig][];
  running: [string, boolean][];
  vipPlugs: [string, { vipAddress: string; network: AmphoraNetworkConfig }][];
  agentConfigs: [string, string][];
  vrrpConfigs: [string, string][];
  vrrpStarted: string[];
}

/** Octavia's default [certificates] cert_validity_time: 30 days. */
const DEFAULT_CERT_VALIDITY_SECONDS = 2592000;

export class NoopAmphoraDriver implements AmphoraDriver {
  readonly name = 'noop';
  /** Inject: configuration pushes fail (non-retryable, so flows compensate at once); a number: with that probability. */
  failUpdates: boolean | number;
  /** Inject: every configuration push takes this long (holds a flow in its PENDING state). */
  latencyMs: number;
  private readonly configs = new Map<string, LoadBalancerConfig>();
  private readonly running = new Map<string, boolean>();
  /** What each amphora was asked besides its configuration (tests read them, as configOf). */
  readonly vipPlugs = new Map<string, { vipAddress: string; network: AmphoraNetworkConfig }>();
  readonly agentConfigs = new Map<string, string>();
  readonly vrrpConfigs = new Map<string, string>();
  readonly vrrpStarted = new Set<string>();
  private readonly statePath: string | undefined;
  private readonly certValiditySeconds: number;
  private readonly random: () => number;
  private saving: Promise<void> = Promise.resolve();
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

  constructor(opts: NoopAmphoraOptions = {}) {
    this.statePath = opts.statePath;
    this.certValiditySeconds = opts.certValiditySeconds ?? DEFAULT_CERT_VALIDITY_SECONDS;
    this.failUpdates = opts.failUpdates ?? false;
    this.latencyMs = opts.latencyMs ?? 0;
    this.random = opts.random ?? Math.random;
    this.load();
  }

  /**
   * No-op amphorae boot from nothing; their certificate's expiry is what Octavia records (it signs a
   * server certificate for every amphora, whatever its amphora driver).
   */
  async bootFiles(): Promise<AmphoraBoot | null> {
    return { configDriveFiles: {}, certExpiration: new Date(Date.now() + this.certValiditySeconds * 1000) };
  }

  async updateConfig(amphora: AmphoraTarget, config: LoadBalancerConfig): Promise<void> {
    if (this.latencyMs) await new Promise((r) => setTimeout(r, this.latencyMs));
    if (this.failUpdates === true || (typeof this.failUpdates === 'number' && this.random() < this.failUpdates)) {
      throw new AmphoraComputeError(`Injected fault: amphora ${amphora.amphoraId} rejected its configuration.`, { retryable: false });
    }
    this.configs.set(amphora.amphoraId, structuredClone(config));
    this.running.set(amphora.amphoraId, config.enabled);
    await this.save();
  }

  async start(amphora: AmphoraTarget): Promise<void> {
    this.running.set(amphora.amphoraId, true);
    await this.save();
  }

  async stop(amphora: AmphoraTarget): Promise<void> {
    this.running.set(amphora.amphoraId, false);
    await this.save();
  }

  async removeConfig(amphora: AmphoraTarget): Promise<void> {
    this.configs.delete(amphora.amphoraId);
    this.running.delete(amphora.amphoraId);
    await this.save();
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
    await this.save();
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
    await this.save();
  }

  /** What Octavia's agent always names the VIP NIC. */
  async getInterface(): Promise<string> {
    return 'eth1';
  }

  async uploadVrrpConfig(amphora: AmphoraTarget, keepalivedConfig: string): Promise<void> {
    this.vrrpConfigs.set(amphora.amphoraId, keepalivedConfig);
    await this.save();
  }

  async startVrrp(amphora: AmphoraTarget): Promise<void> {
    this.vrrpStarted.add(amphora.amphoraId);
    await this.save();
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
        if (this.instanceAlive && !(await this.instanceAlive(amphoraId).catch(() => true))) {
          // Its instance is gone for good (deleted, failed over): forget it, so the state kept across
          // restarts does not grow with every amphora ever built.
          if (this.configs.delete(amphoraId)) await this.forget(amphoraId);
          return;
        }
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

  private async forget(amphoraId: string): Promise<void> {
    for (const map of [this.running, this.vipPlugs, this.agentConfigs, this.vrrpConfigs]) map.delete(amphoraId);
    this.vrrpStarted.delete(amphoraId);
    await this.save().catch(() => undefined);
  }

  /** Reads what a previous process was pushed (once, at construction: before any flow step runs here). */
  private load(): void {
    if (!this.statePath) return;
    let state: NoopAmphoraState;
    try {
      state = JSON.parse(readFileSync(this.statePath, 'utf8')) as NoopAmphoraState;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    for (const [id, c] of state.configs) this.configs.set(id, c);
    for (const [id, r] of state.running) this.running.set(id, r);
    for (const [id, v] of state.vipPlugs) this.vipPlugs.set(id, v);
    for (const [id, a] of state.agentConfigs) this.agentConfigs.set(id, a);
    for (const [id, v] of state.vrrpConfigs) this.vrrpConfigs.set(id, v);
    for (const id of state.vrrpStarted) this.vrrpStarted.add(id);
  }

  /**
   * Write-through, serialised, atomic (write then rename): once a step that changed an amphora has
   * returned, what it changed is on disk, so even a SIGKILL right after loses nothing.
   */
  private save(): Promise<void> {
    const file = this.statePath;
    if (!file) return Promise.resolve();
    const state: NoopAmphoraState = {
      configs: [...this.configs],
      running: [...this.running],
      vipPlugs: [...this.vipPlugs],
      agentConfigs: [...this.agentConfigs],
      vrrpConfigs: [...this.vrrpConfigs],
      vrrpStarted: [...this.vrrpStarted],
    };
    const snapshot = JSON.stringify(state);
    this.saving = this.saving.then(async () => {
      await mkdir(path.dirname(file), { recursive: true });
      await writeFile(`${file}.tmp`, snapshot);
      await rename(`${file}.tmp`, file);
    });
    return this.saving;
  }
}
