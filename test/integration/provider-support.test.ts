/**
 * With AMPHORA_DRIVER=rest, what the driver cannot serve yet is refused at the API with Octavia's 501
 * for an unsupported provider option, and nothing is written; with the no-op driver the same requests
 * are accepted. (The test system's amphora driver object is the no-op one either way: the refusal is
 * the API's, read from the configuration.)
 */
import { eventually, startTestSystem, type TestSystem } from '../support/system';
import { VIP_SUBNET } from '../support/fixtures';

const refusal = (sentence: string) => ({
  faultcode: 'Server',
  faultstring: `Provider 'amphora' does not support a requested option: ${sentence}`,
  debuginfo: null,
});

async function activeLoadBalancer(sys: TestSystem): Promise<string> {
  const id = (await sys.api('POST', '/v2/lbaas/loadbalancers', { loadbalancer: { vip_subnet_id: VIP_SUBNET } })).body.loadbalancer.id;
  await eventually(async () => ((await sys.api('GET', `/v2/lbaas/loadbalancers/${id}`)).body.loadbalancer.provisioning_status === 'ACTIVE' ? true : undefined));
  return id;
}

describe('AMPHORA_DRIVER=rest', () => {
  let sys: TestSystem;
  let lbId: string;
  beforeAll(async () => {
    sys = await startTestSystem({ AMPHORA_DRIVER: 'rest' });
    lbId = await activeLoadBalancer(sys);
  });
  afterAll(() => sys?.stop());

  it('refuses a UDP listener with a 501 and writes nothing', async () => {
    const res = await sys.api('POST', '/v2/lbaas/listeners', { listener: { loadbalancer_id: lbId, protocol: 'UDP', protocol_port: 53 } });
    expect(res).toMatchObject({ status: 501, body: refusal('UDP is served by keepalived/LVS, which this amphora driver does not configure yet.') });
    expect(await sys.db.listener.count({ where: { loadBalancerId: lbId } })).toBe(0);
    expect((await sys.api('GET', `/v2/lbaas/loadbalancers/${lbId}`)).body.loadbalancer.provisioning_status).toBe('ACTIVE');
  });

  it('validates a pool as Octavia does first (400), then refuses what the driver cannot serve (501)', async () => {
    const invalid = await sys.api('POST', '/v2/lbaas/pools', { pool: { loadbalancer_id: lbId, protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN', tls_versions: ['TLSv1.2'] } });
    expect(invalid.status).toBe(400);
    const udp = await sys.api('POST', '/v2/lbaas/pools', { pool: { loadbalancer_id: lbId, protocol: 'UDP', lb_algorithm: 'SOURCE_IP_PORT' } });
    expect(udp).toMatchObject({
      status: 501,
      body: refusal('UDP is served by keepalived/LVS, which this amphora driver does not configure yet. Amphora provider does not support SOURCE_IP_PORT algorithm.'),
    });
    expect(await sys.db.pool.count({ where: { loadBalancerId: lbId } })).toBe(0);
  });
});

describe('AMPHORA_DRIVER=noop', () => {
  let sys: TestSystem;
  beforeAll(async () => {
    sys = await startTestSystem();
  });
  afterAll(() => sys?.stop());

  it('accepts the same UDP listener', async () => {
    const lbId = await activeLoadBalancer(sys);
    const res = await sys.api('POST', '/v2/lbaas/listeners', { listener: { loadbalancer_id: lbId, protocol: 'UDP', protocol_port: 53 } });
    expect(res.status).toBe(201);
  });
});
