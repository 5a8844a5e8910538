/**
 * ACTIVE_STANDBY on the real data plane, through the API only (DATA_PLANE=local): two local amphorae
 * running Octavia's agent, keepalived VRRP between them with the VIP on the MASTER. Killing the MASTER
 * (its PID 1 and everything under it) moves the VIP to the BACKUP within a few seconds (measured, under
 * continuous traffic); the health manager then replaces the dead amphora with no API call, the pair is
 * whole again, traffic keeps flowing, and a cascade delete leaves nothing behind. Slot 6 of the local
 * cloud's ranges (test/support/local-cloud.ts).
 */
import { logger } from '../../common/logger';
import { get, Probe, startDataPlane, SUBNET_ID, traffic, until, type DataPlane } from '../support/data-plane';
import { describeAsRoot } from '../support/local-cloud';

const SLOT = 6;
/** What "a few seconds" is allowed to be (keepalived's master-down interval is ~3.6 s at advert_int 1). */
const MAX_VIP_MOVE_MS = 10_000;

let dp: DataPlane;

describeAsRoot('data plane ACTIVE_STANDBY (DATA_PLANE=local, through the API)', () => {
  jest.setTimeout(600_000);

  beforeAll(async () => {
    dp = await startDataPlane(SLOT, { LOADBALANCER_TOPOLOGY: 'ACTIVE_STANDBY' });
  });

  afterAll(async () => {
    await dp?.stop();
  });

  /** The amphorae (ids) whose VIP NIC holds the VIP. */
  async function vipHolders(vip: string, amphorae: Array<{ id: string; compute_id: string }>): Promise<string[]> {
    const holders: string[] = [];
    for (const a of amphorae) if ((await dp.vipNicAddresses(a.compute_id)).includes(vip)) holders.push(a.id);
    return holders;
  }

  /** The one amphora holding the VIP. */
  async function vipHolder(vip: string, amphorae: Array<{ id: string; compute_id: string }>): Promise<string> {
    const holders = await vipHolders(vip, amphorae);
    expect(holders).toHaveLength(1);
    return holders[0]!;
  }

  it('keeps the VIP on the MASTER, moves it to the BACKUP within seconds when the MASTER dies, and heals the pair', async () => {
    const members = [await dp.startMember('a1', 8081), await dp.startMember('a2', 8082)];
    const lb = (await dp.api('POST', '/v2/lbaas/loadbalancers', { loadbalancer: { name: 'pair', vip_subnet_id: SUBNET_ID } })).body.loadbalancer;
    await dp.settled(lb.id);
    const listener = (await dp.api('POST', '/v2/lbaas/listeners', { listener: { loadbalancer_id: lb.id, protocol: 'HTTP', protocol_port: 80 } })).body.listener;
    await dp.settled(lb.id);
    const pool = (await dp.api('POST', '/v2/lbaas/pools', { pool: { listener_id: listener.id, protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN' } })).body.pool;
    await dp.settled(lb.id);
    for (const m of members) {
      expect((await dp.api('POST', `/v2/lbaas/pools/${pool.id}/members`, { member: { address: m.address, protocol_port: m.port, name: m.name } })).status).toBe(201);
      await dp.settled(lb.id);
    }
    const url = `http://${lb.vip_address}/`;

    // The pair as Octavia shows it: MASTER and BACKUP, their VRRP priorities.
    const pair = await dp.amphorae(lb.id);
    expect(pair.map((a: { role: string; status: string; vrrp_priority: number }) => [a.role, a.status, a.vrrp_priority]).sort()).toEqual([
      ['BACKUP', 'ALLOCATED', 90],
      ['MASTER', 'ALLOCATED', 100],
    ]);
    const master = pair.find((a: { role: string }) => a.role === 'MASTER');
    const backup = pair.find((a: { role: string }) => a.role === 'BACKUP');
    // keepalived takes the VIP once its check script sees HAProxy running (rise 2 x interval 5 s); the
    // first to get there may be the BACKUP, until the MASTER (higher priority) takes the VIP over. Then
    // it stays on the MASTER alone, and serves.
    await until(async () => (await get(url)) && (await vipHolders(lb.vip_address, pair)).join() === master.id, 60_000, 'the VIP on the MASTER, answering');
    expect((await traffic(url, 1000)).failed).toBe(0);
    expect(await vipHolder(lb.vip_address, pair)).toBe(master.id);
    // Each keepalived names the other as its only unicast peer.
    const backupConf = await dp.amphoraFile(backup.compute_id, 'vrrp/octavia-keepalived.conf');
    expect(backupConf).toMatch(new RegExp(`unicast_peer \\{\\n\\s+${master.vrrp_ip.replaceAll('.', '\\.')}\\n\\s+\\}`));

    // The MASTER dies under continuous traffic: the BACKUP takes the VIP within a few seconds.
    const probe = new Probe(url);
    await until(async () => probe.results.some((r) => r.ok), 5000, 'the probe to get answers');
    process.kill(await dp.initPid(master.compute_id), 'SIGKILL');
    const killed = Date.now();
    const back = await probe.firstSuccessAfter(killed, 60_000);
    const vipMoveMs = back.end - killed;
    logger.info({ vipMoveMs, failedRequests: probe.failuresBetween(killed, back.end) }, 'ACTIVE_STANDBY: MASTER killed -> VIP answered by the BACKUP');
    expect(vipMoveMs).toBeLessThanOrEqual(MAX_VIP_MOVE_MS);
    // The first answer after the kill may still be in flight to the MASTER: the VIP is the BACKUP's within moments.
    await until(async () => (await vipHolders(lb.vip_address, [backup])).join() === backup.id, 10_000, 'the VIP on the BACKUP');

    // The health manager replaces the dead MASTER (no API call): the pair is two ALLOCATED amphorae again.
    const healed = await until(async () => {
      const amps = await dp.amphorae(lb.id);
      const ok = amps.length === 2 && amps.every((a: { id: string; status: string }) => a.id !== master.id && a.status === 'ALLOCATED');
      return ok && amps;
    }, 180_000, 'the dead MASTER replaced');
    const healedAt = Date.now();
    await dp.settled(lb.id);
    const replacement = healed.find((a: { id: string }) => a.id !== backup.id);
    expect([replacement.role, replacement.vrrp_priority]).toEqual(['MASTER', 100]);
    // The survivor learnt its new peer (keepalived's unicast peer), and both HAProxies name both peers.
    expect(await dp.amphoraFile(backup.compute_id, 'vrrp/octavia-keepalived.conf')).toContain(`    unicast_peer {\n        ${replacement.vrrp_ip}\n    }`);
    for (const a of healed) {
      const haproxyCfg = await dp.amphoraFile(a.compute_id, `${lb.id}/haproxy.cfg`);
      for (const peer of healed) expect(haproxyCfg).toContain(` ${peer.vrrp_ip}:1025\n`);
    }
    const results = await probe.stop();
    logger.info(
      { killedToHealedMs: healedAt - killed, failedRequests: probe.failuresBetween(back.end, Date.now()), requests: results.filter((r) => r.start >= back.end).length },
      'ACTIVE_STANDBY: requests while the replacement joined the pair',
    );

    // The new MASTER takes the VIP back once its HAProxy check passes (keepalived preempts: Octavia's
    // template makes the MASTER's nopreempt moot), a second short move; then traffic keeps flowing
    // through the healed pair, and exactly one amphora holds the VIP.
    await until(async () => (await get(url)) && (await vipHolders(lb.vip_address, healed)).join() === replacement.id, 60_000, 'the VIP on the new MASTER');
    const after = await traffic(url, 3000);
    expect(after.failed).toBe(0);
    expect(Object.keys(after.counts).sort()).toEqual(['a1', 'a2']);
    const holder = await vipHolder(lb.vip_address, healed);
    logger.info({ holder: holder === backup.id ? 'the survivor (BACKUP)' : 'the replacement (MASTER)' }, 'ACTIVE_STANDBY: VIP after the failover');

    await dp.deleteAndExpectNothingLeft(lb.id, [master.compute_id, ...healed.map((a: { compute_id: string }) => a.compute_id)]);
  });
});
