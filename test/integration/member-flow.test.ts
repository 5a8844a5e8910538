/** Member create/update/delete and the batch update through the API and their flows; Octavia's member rules. */
import { fault, watchFlows, type Flows, VIP_SUBNET, refusalCheck } from '../support/fixtures';
import { startTestSystem, type TestSystem } from '../support/system';

const UNKNOWN = '00000000-0000-0000-0000-000000000000';
let sys: TestSystem;
let flows: Flows;
let lbId: string;
let poolId: string;
let members: string;

const counts = async () => ({
  members: await sys.db.member.count(),
  pending: await sys.db.member.count({ where: { provisioningStatus: { not: 'ACTIVE' } } }),
  lb: (await sys.db.loadBalancer.findUniqueOrThrow({ where: { id: lbId } })).provisioningStatus,
});

const lbSettled = () => flows.settledActive(`/v2/lbaas/loadbalancers/${lbId}`);
const gone = (path: string) => flows.gone(path);

/** Waits until the member and the load balancer have left PENDING_*; returns the member. */
async function settled(id: string, pool = poolId) {
  await lbSettled();
  return flows.settledView(`/v2/lbaas/pools/${pool}/members/${id}`);
}

const configuredMembers = async (pool = poolId) => {
  const amp = await sys.db.amphora.findFirstOrThrow({ where: { loadBalancerId: lbId, status: 'ALLOCATED' } });
  return sys.amphoraDriver.configOf(amp.id)!.pools.find((p) => p.id === pool)!.members;
};

const refused = refusalCheck(() => sys, counts);

const create = async (member: Record<string, unknown>, pool = poolId) => {
  const res = await sys.api('POST', `/v2/lbaas/pools/${pool}/members`, { member });
  expect(res.status).toBe(201);
  return settled(res.body.member.id, pool);
};

const list = async (query = '') => (await sys.api('GET', `${members}${query}`)).body.members as Array<Record<string, unknown>>;

beforeAll(async () => {
  sys = await startTestSystem();
  flows = watchFlows(sys);
  const res = await sys.api('POST', '/v2/lbaas/loadbalancers', { loadbalancer: { vip_subnet_id: VIP_SUBNET } });
  lbId = res.body.loadbalancer.id;
  await lbSettled();
  const pool = await sys.api('POST', '/v2/lbaas/pools', { pool: { protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN', loadbalancer_id: lbId } });
  poolId = pool.body.pool.id;
  members = `/v2/lbaas/pools/${poolId}/members`;
  await lbSettled();
});
afterAll(async () => {
  await sys?.stop();
});
afterEach(() => {
  sys.amphoraDriver.failUpdates = false;
  sys.amphoraDriver.latencyMs = 0;
});

describe('create', () => {
  it('201 PENDING_CREATE/NO_MONITOR with defaults, then ACTIVE and in the pushed configuration', async () => {
    const res = await sys.api('POST', members, { member: { address: '10.0.0.10', protocol_port: 8080 } });
    expect(res.status).toBe(201);
    expect(res.body.member).toEqual({
      id: expect.any(String),
      name: '',
      operating_status: 'NO_MONITOR',
      provisioning_status: 'PENDING_CREATE',
      admin_state_up: true,
      address: '10.0.0.10',
      protocol_port: 8080,
      weight: 1,
      backup: false,
      subnet_id: null,
      project_id: expect.any(String),
      created_at: expect.any(String),
      updated_at: null,
      monitor_address: null,
      monitor_port: null,
      tags: [],
      tenant_id: res.body.member.project_id,
    });
    const member = await settled(res.body.member.id);
    expect(member).toMatchObject({ provisioning_status: 'ACTIVE', operating_status: 'NO_MONITOR' });
    expect(await configuredMembers()).toEqual([
      { id: member.id, address: '10.0.0.10', protocolPort: 8080, weight: 1, backup: false, enabled: true, monitorAddress: null, monitorPort: null },
    ]);
    expect((await sys.api('GET', `/v2/lbaas/pools/${poolId}`)).body.pool.members).toEqual([{ id: member.id }]);
  });

  it('takes every field; weight 0 and IPv6 are accepted', async () => {
    const m = await create({
      name: 'm2', address: '2001:db8::11', protocol_port: 8080, weight: 0, backup: true, subnet_id: VIP_SUBNET,
      monitor_address: '10.0.1.11', monitor_port: 9000, admin_state_up: false, tags: ['t'],
    });
    expect(m).toMatchObject({
      name: 'm2', address: '2001:db8::11', weight: 0, backup: true, subnet_id: VIP_SUBNET,
      monitor_address: '10.0.1.11', monitor_port: 9000, admin_state_up: false, tags: ['t'], operating_status: 'NO_MONITOR',
    });
    expect((await configuredMembers()).find((c) => c.id === m.id)).toMatchObject({ weight: 0, backup: true, enabled: false });
  });

  it('validates every field as Octavia does, and changes nothing', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ address: '10.0.0.300', protocol_port: 80 }, "Invalid input for field/attribute address. Value: '10.0.0.300'. Value should be IPv4 or IPv6 format"],
      [{ address: 'example.com', protocol_port: 80 }, "Invalid input for field/attribute address. Value: 'example.com'. Value should be IPv4 or IPv6 format"],
      [{ protocol_port: 80 }, "Invalid input for field/attribute address. Value: 'None'. Mandatory field missing."],
      [{ address: '10.0.0.1' }, "Invalid input for field/attribute protocol_port. Value: 'None'. Mandatory field missing."],
      [{ address: '10.0.0.1', protocol_port: 0 }, "Invalid input for field/attribute protocol_port. Value: '0'. Value should be greater or equal to 1"],
      [{ address: '10.0.0.1', protocol_port: 65536 }, "Invalid input for field/attribute protocol_port. Value: '65536'. Value should be lower or equal to 65535"],
      [{ address: '10.0.0.1', protocol_port: 80, weight: -1 }, "Invalid input for field/attribute weight. Value: '-1'. Value should be greater or equal to 0"],
      [{ address: '10.0.0.1', protocol_port: 80, weight: 257 }, "Invalid input for field/attribute weight. Value: '257'. Value should be lower or equal to 256"],
      [{ address: '10.0.0.1', protocol_port: 80, backup: 'maybe' }, "Invalid input for field/attribute member_. Value: '{'member': {'address': '10.0.0.1', 'protocol_port': 80, 'backup': 'maybe'}}'. Value not an unambiguous boolean: maybe"],
      [{ address: '10.0.0.1', protocol_port: 80, subnet_id: 'x' }, "Invalid input for field/attribute subnet_id. Value: 'x'. Value should be UUID format"],
      [{ address: '10.0.0.1', protocol_port: 80, monitor_port: 0 }, "Invalid input for field/attribute monitor_port. Value: '0'. Value should be greater or equal to 1"],
      [{ address: '10.0.0.1', protocol_port: 80, monitor_address: 'x' }, "Invalid input for field/attribute monitor_address. Value: 'x'. Value should be IPv4 or IPv6 format"],
      [{ address: '10.0.0.1', protocol_port: 80, pool_id: poolId }, 'Unknown attribute for argument member_.member: pool_id'],
      [{ address: '169.254.169.254', protocol_port: 80 }, '169.254.169.254 is not a valid option for member address'],
      [{ address: '10.0.0.1', protocol_port: 80, name: 'a\u0000b' }, "Invalid input for field/attribute name. Value: 'a\\x00b'. Value must not contain NUL characters"],
    ];
    for (const [member, message] of cases) await refused('POST', members, { member }, fault(400, message));
  });

  it('a second member on the same address and port is a 409 from the unique constraint', async () => {
    await refused('POST', members, { member: { address: '10.0.0.10', protocol_port: 8080 } },
      fault(409, 'Another member on this pool is already using ip 10.0.0.10 on protocol_port 8080'));
    // The same address on another port is another member.
    await create({ address: '10.0.0.10', protocol_port: 8081 });
  });

  it("answers 409 naming the pool while the pool's load balancer is PENDING_UPDATE", async () => {
    sys.amphoraDriver.latencyMs = 1500;
    const first = await sys.api('POST', members, { member: { address: '10.0.0.20', protocol_port: 80 } });
    expect(first.status).toBe(201);
    const immutable = fault(409, `Pool ${poolId} is immutable and cannot be updated.`);
    await refused('POST', members, { member: { address: '10.0.0.21', protocol_port: 80 } }, immutable);
    await refused('PUT', `${members}/${first.body.member.id}`, { member: { weight: 3 } }, immutable);
    await refused('PUT', members, { members: [] }, immutable);
    await refused('DELETE', `${members}/${first.body.member.id}`, undefined, immutable);
    expect((await settled(first.body.member.id)).provisioning_status).toBe('ACTIVE');
  });

  it('a pool that is not ACTIVE (here ERROR after a failed flow) refuses member changes', async () => {
    sys.amphoraDriver.failUpdates = true;
    const pool = await sys.api('POST', '/v2/lbaas/pools', { pool: { protocol: 'TCP', lb_algorithm: 'ROUND_ROBIN', loadbalancer_id: lbId } });
    await lbSettled();
    sys.amphoraDriver.failUpdates = false;
    expect((await sys.api('GET', `/v2/lbaas/pools/${pool.body.pool.id}`)).body.pool.provisioning_status).toBe('ERROR');
    await refused('POST', `/v2/lbaas/pools/${pool.body.pool.id}/members`, { member: { address: '10.0.0.1', protocol_port: 80 } },
      fault(409, `Pool ${pool.body.pool.id} is immutable and cannot be updated.`));
    expect((await sys.api('DELETE', `/v2/lbaas/pools/${pool.body.pool.id}`)).status).toBe(204);
    await lbSettled();
  });
});

describe('update', () => {
  it('shows the change as PENDING_UPDATE; the flow applies and pushes it; null resets weight and backup', async () => {
    const [m] = await list('?address=10.0.0.10&protocol_port=8080');
    const res = await sys.api('PUT', `${members}/${m!.id}`, { member: { weight: 10, admin_state_up: false, name: 'web1', backup: true } });
    expect(res.status).toBe(200);
    expect(res.body.member).toMatchObject({
      weight: 10, admin_state_up: false, name: 'web1', backup: true,
      provisioning_status: 'PENDING_UPDATE', operating_status: 'NO_MONITOR', updated_at: expect.any(String),
    });
    expect(await settled(m!.id as string)).toMatchObject({ weight: 10, admin_state_up: false, name: 'web1', provisioning_status: 'ACTIVE' });
    expect((await configuredMembers()).find((c) => c.id === m!.id)).toMatchObject({ weight: 10, enabled: false, backup: true });

    const reset = await sys.api('PUT', `${members}/${m!.id}`, { member: { weight: null, backup: null, name: null } });
    expect(reset.body.member).toMatchObject({ weight: 1, backup: false, name: '' });
    expect(await settled(m!.id as string)).toMatchObject({ weight: 1, backup: false, name: '' });
  });

  it('refuses immutable fields as unknown attributes and bad values', async () => {
    const [m] = await list('?address=10.0.0.10&protocol_port=8080');
    for (const field of ['address', 'protocol_port', 'subnet_id']) {
      await refused('PUT', `${members}/${m!.id}`, { member: { [field]: 1 } }, fault(400, `Unknown attribute for argument member_.member: ${field}`));
    }
    await refused('PUT', `${members}/${m!.id}`, { member: { weight: 300 } },
      fault(400, "Invalid input for field/attribute weight. Value: '300'. Value should be lower or equal to 256"));
  });
});

describe('list and show', () => {
  it("lists the pool's members with filters (pool_id too, as openstacksdk sends it), fields and pages", async () => {
    const all = await list();
    expect(all.length).toBeGreaterThanOrEqual(4);
    const ids = all.map((m) => m.id);
    expect((await sys.api('GET', members)).body.members_links).toEqual([]);
    expect((await list(`?pool_id=${poolId}`)).map((m) => m.id)).toEqual(ids);
    expect((await list('?address=2001:db8::11')).map((m) => m.name)).toEqual(['m2']);
    expect((await list('?protocol_port=8081')).map((m) => m.address)).toEqual(['10.0.0.10']);
    expect((await list('?backup=true')).map((m) => m.name)).toEqual(['m2']);
    expect((await list('?name=m2&fields=id&fields=address'))).toEqual([{ id: expect.any(String), address: '2001:db8::11' }]);
    expect(await list('?provisioning_status=BOGUS')).toEqual([]);
    expect((await list('?tags=t')).map((m) => m.name)).toEqual(['m2']);
    const ports = (await list('?sort=protocol_port:desc&fields=protocol_port')).map((m) => m.protocol_port as number);
    expect(ports).toEqual(all.map((m) => m.protocol_port as number).sort((a, b) => b - a));
    expect(await sys.api('GET', `${members}?bogus=1`)).toMatchObject(fault(400, 'One or more arguments are either duplicate or invalid'));
    const page = (await sys.api('GET', `${members}?limit=1`)).body;
    expect(page.members.map((m: { id: string }) => m.id)).toEqual([ids[0]]);
    expect(page.members_links).toEqual([{ rel: 'next', href: expect.stringContaining(`marker=${ids[0]}`) }]);
    expect((await list(`?limit=2&marker=${ids[0]}`)).map((m) => m.id)).toEqual(ids.slice(1, 3));
    const one = await sys.api('GET', `${members}/${ids[0]}?fields=address`);
    expect(one.body).toEqual({ member: { address: all[0]!.address } });
  });

  it('404s: Octavia messages for members, the framework body for an unknown pool', async () => {
    expect(await sys.api('GET', `${members}/${UNKNOWN}`)).toMatchObject(fault(404, `Member ${UNKNOWN} not found.`));
    expect(await sys.api('GET', `${members}/web1`)).toMatchObject(fault(404, 'Member web1 not found.'));
    expect(await sys.api('DELETE', `${members}/web1`)).toMatchObject(fault(404, 'Member web1 not found.'));
    // A member seen through another pool does not exist there.
    const other = await sys.api('POST', '/v2/lbaas/pools', { pool: { protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN', loadbalancer_id: lbId } });
    await lbSettled();
    const [m] = await list();
    expect(await sys.api('GET', `/v2/lbaas/pools/${other.body.pool.id}/members/${m!.id}`)).toMatchObject(fault(404, `Member ${m!.id} not found.`));
    expect((await sys.api('GET', `/v2/lbaas/pools/${other.body.pool.id}/members`)).body).toEqual({ members: [], members_links: [] });

    for (const pool of [UNKNOWN, 'not-a-uuid']) {
      const body = { code: 404, title: 'Bad Request', description: `Pool ${pool} not found.` };
      for (const [method, path, payload] of [
        ['GET', '', undefined],
        ['GET', `/${m!.id}`, undefined],
        ['POST', '', { member: { address: '10.0.0.1', protocol_port: 80 } }],
        ['PUT', '', { members: [] }],
        ['PUT', `/${m!.id}`, { member: { weight: 2 } }],
        ['DELETE', `/${m!.id}`, undefined],
      ] as const) {
        await refused(method, `/v2/lbaas/pools/${pool}/members${path}`, payload, { status: 404, body });
      }
    }
  });
});

describe('batch update (PUT /pools/{id}/members)', () => {
  let batchPool: string;
  let path: string;
  const byAddress = async () =>
    Object.fromEntries(
      ((await sys.api('GET', path)).body.members as Array<{ id: string; address: string; protocol_port: number }>).map((m) => [`${m.address}:${m.protocol_port}`, m]),
    );

  beforeAll(async () => {
    const pool = await sys.api('POST', '/v2/lbaas/pools', { pool: { protocol: 'TCP', lb_algorithm: 'ROUND_ROBIN', loadbalancer_id: lbId } });
    batchPool = pool.body.pool.id;
    path = `/v2/lbaas/pools/${batchPool}/members`;
    await lbSettled();
    await create({ address: '10.1.0.1', protocol_port: 80, weight: 7, name: 'a' }, batchPool);
    await create({ address: '10.1.0.2', protocol_port: 80 }, batchPool);
  });

  it('updates the members it names, creates new ones, deletes the others: 202, no body, one flow', async () => {
    const before = await byAddress();
    sys.amphoraDriver.latencyMs = 800; // holds the flow so that the PENDING states can be seen
    const res = await sys.api('PUT', path, {
      members: [
        { address: '10.1.0.1', protocol_port: 80, backup: true },
        { address: '10.1.0.3', protocol_port: 80, weight: 3, name: 'c' },
      ],
    });
    expect(res.status).toBe(202);
    expect(res.text).toBe('');
    // Written in the request, all at once: updated, created and deleted members pending together.
    const pending = (await sys.db.member.findMany({ where: { poolId: batchPool } })).map((m) => `${m.ipAddress}:${m.provisioningStatus}`).sort();
    expect(pending).toEqual(['10.1.0.1:PENDING_UPDATE', '10.1.0.2:PENDING_DELETE', '10.1.0.3:PENDING_CREATE']);
    await lbSettled();
    // ... and settled by one flow.
    expect(flows.started.filter((id) => id.startsWith(`pool-${batchPool}-members-`))).toHaveLength(1);
    expect(await sys.db.member.count({ where: { poolId: batchPool } })).toBe(2);
    const after = await byAddress();
    expect(Object.keys(after).sort()).toEqual(['10.1.0.1:80', '10.1.0.3:80']);
    // Kept: same id, the request's values and Octavia's defaults for what it left out (weight back to 1).
    expect(after['10.1.0.1:80']).toMatchObject({ id: before['10.1.0.1:80']!.id, backup: true, weight: 1, name: 'a', provisioning_status: 'ACTIVE' });
    expect(after['10.1.0.3:80']).toMatchObject({ weight: 3, name: 'c', provisioning_status: 'ACTIVE', operating_status: 'NO_MONITOR' });
    const configured = await configuredMembers(batchPool);
    expect(configured.map((m) => `${m.address}:${m.protocolPort}:${m.weight}:${m.backup}`).sort()).toEqual(['10.1.0.1:80:1:true', '10.1.0.3:80:3:false']);
  });

  it('additive_only=true keeps the members it does not name', async () => {
    expect((await sys.api('PUT', `${path}?additive_only=true`, { members: [{ address: '10.1.0.4', protocol_port: 81 }] })).status).toBe(202);
    await lbSettled();
    expect(await sys.db.member.count({ where: { poolId: batchPool, provisioningStatus: 'ACTIVE' } })).toBe(3);
    expect(Object.keys(await byAddress()).sort()).toEqual(['10.1.0.1:80', '10.1.0.3:80', '10.1.0.4:81']);
  });

  it('refuses duplicates, bad members and reserved addresses, and changes nothing', async () => {
    await refused('PUT', path, { members: [{ address: '10.1.0.9', protocol_port: 80 }, { address: '10.1.0.9', protocol_port: 80 }] },
      fault(409, 'Another member on this pool is already using ip 10.1.0.9 on protocol_port 80'));
    await refused('PUT', path, { members: [{ address: '10.1.0.300', protocol_port: 80 }] },
      fault(400, "Invalid input for field/attribute address. Value: '10.1.0.300'. Value should be IPv4 or IPv6 format"));
    await refused('PUT', path, { members: [{ address: '169.254.169.254', protocol_port: 80 }] },
      fault(400, '169.254.169.254 is not a valid option for member address'));
    await refused('PUT', path, { member: [] }, fault(400, 'Unknown attribute for argument members_: member'));
    await refused('PUT', path, { members: {} },
      fault(400, "Invalid input for field/attribute members_. Value: '{'members': {}}'. Value not a valid list: {}"));
  });

  it('an empty list deletes every member', async () => {
    expect((await sys.api('PUT', path, { members: [] })).status).toBe(202);
    await lbSettled();
    expect(await sys.db.member.count({ where: { poolId: batchPool } })).toBe(0);
    expect(await configuredMembers(batchPool)).toEqual([]);
  });
});

describe('delete', () => {
  it('204, then gone from the API and from the amphora configuration', async () => {
    const m = await create({ address: '10.0.0.99', protocol_port: 80 });
    const del = await sys.api('DELETE', `${members}/${m.id}`);
    expect(del.status).toBe(204);
    expect(del.text).toBe('');
    await gone(`${members}/${m.id}`);
    await lbSettled();
    expect((await configuredMembers()).map((c) => c.id)).not.toContain(m.id);
    expect((await sys.api('GET', `/v2/lbaas/pools/${poolId}`)).body.pool.members).not.toContainEqual({ id: m.id });
  });
});
