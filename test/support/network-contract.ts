/**
 * The contract every network driver passes (test/integration/network-contract.test.ts runs it against
 * the no-op driver and the Neutron driver on its emulators, network-contract-local.test.ts against the
 * local driver with a real octavia-agent amphora): a VIP on the subnet asked for (the requested address
 * honoured; a taken one VipInUse, one outside the subnet InvalidNetworkRequest), a re-entry finding
 * what the first try made, plug and unplug and deallocation idempotent, lookups of what does not exist
 * NetworkObjectNotFound (not retryable).
 *
 * The no-op driver, as Octavia's, keeps nothing: every object exists and every call makes up new ids,
 * so what needs state (equal answers on a re-entry, refusals, not-found) is checked where a driver has
 * it (`keepsState`).
 */
import { randomUUID } from 'node:crypto';
import { InvalidNetworkRequest, NetworkObjectNotFound, VipInUse, type AmphoraRef, type NetworkDriver, type VipListener } from '../../drivers/network';

export interface Subject {
  driver: NetworkDriver;
  subnetId: string;
  networkId: string;
  cidr: string;
  /** A free address of the subnet, different on each call. */
  freeAddress(): string;
  /** An address outside the subnet. */
  outsideAddress: string;
  /** An amphora to plug: its id and its compute instance. */
  amphora: AmphoraRef;
  /** What is left in the cloud that no scenario should leave (Neutron: ports, groups, rules). */
  leftovers?(): unknown;
  teardown(): Promise<void>;
}

export async function outcome<T>(p: Promise<T>): Promise<T | Error> {
  return p.catch((e: Error) => e);
}

function ipToNumber(ip: string): number {
  return ip.split('.').reduce((n, o) => n * 256 + Number(o), 0);
}

function inCidr(ip: string, cidr: string): boolean {
  const [base, len] = cidr.split('/');
  const size = 2 ** (32 - Number(len));
  const start = ipToNumber(base as string);
  return ipToNumber(ip) >= start && ipToNumber(ip) < start + size;
}

export const LISTENERS: VipListener[] = [
  { protocol: 'HTTP', protocolPort: 80, allowedCidrs: [] },
  { protocol: 'TCP', protocolPort: 443, allowedCidrs: ['10.0.0.0/8'] },
  { protocol: 'UDP', protocolPort: 53, allowedCidrs: [] },
];

/** `keepsState`: whether the driver keeps what it made (the no-op driver does not). */
export function networkDriverContract(label: string, caps: { keepsState: boolean }, make: () => Promise<Subject>): void {
  const stateful = caps.keepsState ? it : it.skip;
  describe(`network driver contract: ${label}`, () => {
    let s: Subject;
    let driver: NetworkDriver;
    const lb = () => randomUUID();

    beforeAll(async () => {
      s = await make();
      driver = s.driver;
    }, 120_000);
    afterAll(async () => {
      await s?.teardown();
    });
    afterEach(() => {
      if (s.leftovers) expect(s.leftovers()).toEqual({ ports: [], securityGroups: [], rules: [] });
    });

    it('allocates a VIP on the subnet with the requested address; a re-entry finds the same port; deallocating twice is fine', async () => {
      const id = lb();
      const address = s.freeAddress();
      const vip = await driver.allocateVip({ loadBalancerId: id, projectId: 'demo', subnetId: s.subnetId, ipAddress: address });
      expect(vip).toMatchObject({ ipAddress: address, subnetId: s.subnetId, portId: expect.any(String), networkId: expect.any(String) });
      const port = await driver.getPort(vip.portId);
      expect(port.id).toBe(vip.portId);
      expect(port.macAddress).toMatch(/^fa:16:3e(:[0-9a-f]{2}){3}$/);
      const again = await driver.allocateVip({ loadBalancerId: id, projectId: 'demo', subnetId: s.subnetId, ipAddress: address });
      if (caps.keepsState) {
        expect(vip.networkId).toBe(s.networkId);
        expect(port).toMatchObject({ networkId: s.networkId, fixedIps: [{ subnetId: s.subnetId, ipAddress: address }] });
        expect(again).toEqual(vip);
      }
      await driver.deallocateVip(id, vip);
      await driver.deallocateVip(id, vip);
      if (!caps.keepsState) return;
      expect(await outcome(driver.getPort(vip.portId))).toBeInstanceOf(NetworkObjectNotFound);
      // The address is free again.
      const other = lb();
      const reused = await driver.allocateVip({ loadBalancerId: other, projectId: 'demo', subnetId: s.subnetId, ipAddress: address });
      expect(reused.ipAddress).toBe(address);
      expect(reused.portId).not.toBe(vip.portId);
      await driver.deallocateVip(other, reused);
    });

    it('picks a free address of the subnet when none is asked for', async () => {
      const id = lb();
      const vip = await driver.allocateVip({ loadBalancerId: id, projectId: 'demo', subnetId: s.subnetId });
      expect(inCidr(vip.ipAddress, s.cidr)).toBe(true);
      await driver.deallocateVip(id, vip);
    });

    stateful('refuses a taken address (VipInUse) and one outside the subnet (InvalidNetworkRequest), both final', async () => {
      const first = lb();
      const address = s.freeAddress();
      const vip = await driver.allocateVip({ loadBalancerId: first, projectId: 'demo', subnetId: s.subnetId, ipAddress: address });
      const taken = await outcome(driver.allocateVip({ loadBalancerId: lb(), projectId: 'demo', subnetId: s.subnetId, ipAddress: address }));
      expect(taken).toBeInstanceOf(VipInUse);
      expect(taken).toMatchObject({ retryable: false, message: expect.stringContaining(address) });
      const outside = await outcome(driver.allocateVip({ loadBalancerId: lb(), projectId: 'demo', subnetId: s.subnetId, ipAddress: s.outsideAddress }));
      expect(outside).toBeInstanceOf(InvalidNetworkRequest);
      expect(outside).toMatchObject({ retryable: false });
      await driver.deallocateVip(first, vip);
    });

    it('plugs an amphora into the VIP network and unplugs it, each idempotently; the VIP filtering follows the listeners', async () => {
      const id = lb();
      const vip = await driver.allocateVip({ loadBalancerId: id, projectId: 'demo', subnetId: s.subnetId });
      for (const topology of ['SINGLE', 'ACTIVE_STANDBY'] as const) {
        await driver.updateVip(id, vip, LISTENERS, topology);
        await driver.updateVip(id, vip, LISTENERS, topology);
      }
      const plugged = await driver.plugVip(s.amphora, vip, 'ACTIVE_STANDBY');
      expect(plugged).toMatchObject({
        haPortId: vip.portId,
        haIp: vip.ipAddress,
        vrrpPortId: expect.any(String),
        macAddress: expect.stringMatching(/^fa:16:3e(:[0-9a-f]{2}){3}$/),
        subnetCidr: expect.any(String),
        hostRoutes: expect.any(Array),
        mtu: expect.any(Number),
      });
      expect(plugged.vrrpPortId).not.toBe(vip.portId);
      expect(inCidr(plugged.vrrpIp, plugged.subnetCidr)).toBe(true);
      if (caps.keepsState) {
        expect(plugged.subnetCidr).toBe(s.cidr);
        expect(plugged.vrrpIp).not.toBe(vip.ipAddress);
        // A retried plug finds the same port.
        expect(await driver.plugVip(s.amphora, vip, 'ACTIVE_STANDBY')).toEqual(plugged);
        expect((await driver.getPort(plugged.vrrpPortId)).fixedIps).toEqual([{ subnetId: s.subnetId, ipAddress: plugged.vrrpIp }]);
      }
      await driver.updateVip(id, vip, LISTENERS.slice(0, 1), 'ACTIVE_STANDBY');
      await driver.unplugVip(s.amphora, vip);
      await driver.unplugVip(s.amphora, vip);
      if (caps.keepsState) expect(await outcome(driver.getPort(plugged.vrrpPortId))).toBeInstanceOf(NetworkObjectNotFound);
      await driver.updateVip(id, vip, [], 'ACTIVE_STANDBY');
      await driver.deallocateVip(id, vip);
      await driver.deallocateVip(id, vip);
    });

    it('describes the subnet and network; unknown ids are NetworkObjectNotFound, not retryable', async () => {
      expect(await driver.getSubnet(s.subnetId)).toMatchObject({ id: s.subnetId, ipVersion: 4, hostRoutes: expect.any(Array) });
      expect(await driver.getNetwork(s.networkId)).toMatchObject({ id: s.networkId, mtu: expect.any(Number) });
      if (!caps.keepsState) return; // the no-op driver: everything exists
      expect(await driver.getSubnet(s.subnetId)).toMatchObject({ networkId: s.networkId, cidr: s.cidr });
      expect((await driver.getNetwork(s.networkId)).subnetIds).toContain(s.subnetId);
      const lookups: Array<[() => Promise<unknown>, string]> = [
        [() => driver.getSubnet(randomUUID()), 'Subnet'],
        [() => driver.getNetwork(randomUUID()), 'Network'],
        [() => driver.getPort(randomUUID()), 'Port'],
        [() => driver.allocateVip({ loadBalancerId: lb(), projectId: 'demo', subnetId: randomUUID() }), 'Subnet'],
        [() => driver.allocateVip({ loadBalancerId: lb(), projectId: 'demo', portId: randomUUID() }), 'Port'],
      ];
      for (const [lookup, kind] of lookups) {
        const err = await outcome(lookup());
        expect(err).toBeInstanceOf(NetworkObjectNotFound);
        expect(err).toMatchObject({ kind, retryable: false, message: expect.stringMatching(new RegExp(`^${kind} .* not found\\.$`)) });
      }
    });
  });
}
