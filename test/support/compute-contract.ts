/**
 * The contract every compute driver passes (test/integration/compute-contract.test.ts runs it against
 * the no-op driver and the Nova driver on its emulator, compute-contract-local.test.ts against the local
 * driver's real octavia-agent amphorae): builds idempotent by name, status and lookups by id and name,
 * deletes idempotent and eventually gone, not-found as InstanceNotFoundError, server groups, ports,
 * validation errors, flavors.
 *
 * Nova does some things later than the no-op driver (a server is BUILD for a while, a delete takes a
 * moment), so the contract waits for outcomes (`eventually`) instead of expecting them at once, as
 * the flows do by polling.
 */
import { randomUUID } from 'node:crypto';
import { ComputeStatus, ComputeValidationError, InstanceNotFoundError, type AmphoraComputeDriver, type BuildRequest } from '../../drivers/compute';

export interface Subject {
  driver: AmphoraComputeDriver;
  /** What exists in this compute service. */
  known: { flavorId: string; imageId: string; zone: string };
  /** A port that can be plugged into an instance. */
  newPort(): string | Promise<string>;
  /** What a build needs beyond the contract's own fields (the local agent starts only with its config drive). */
  buildExtras?(name: string): Promise<Partial<BuildRequest>>;
  /** How long an instance may take to become ACTIVE (default 5 s). */
  bootTimeoutMs?: number;
  teardown(): Promise<void>;
}

export async function eventually<T>(probe: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 5000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (ok(v)) return v;
    if (Date.now() > until) throw new Error(`Not there after ${timeoutMs} ms: ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** The outcome of a call: its value, or the error's class name and retryability. */
async function outcome<T>(p: Promise<T>): Promise<{ value: T } | { error: string; retryable: boolean }> {
  try {
    return { value: await p };
  } catch (err) {
    return { error: (err as Error).name, retryable: (err as { retryable?: boolean }).retryable ?? true };
  }
}

const gone = (o: Awaited<ReturnType<typeof outcome>>) => 'error' in o && o.error === 'InstanceNotFoundError';

export function computeDriverContract(label: string, make: () => Promise<Subject>): void {
  describe(`compute driver contract: ${label}`, () => {
    let s: Subject;
    let driver: AmphoraComputeDriver;
    const name = () => `amphora-${randomUUID()}`;

    beforeAll(async () => {
      s = await make();
      driver = s.driver;
    });
    afterAll(async () => {
      await s.teardown();
    });

    const build = async (n: string, extra: Partial<BuildRequest> = {}) =>
      driver.build({
        name: n,
        flavorId: s.known.flavorId,
        imageId: s.known.imageId,
        metadata: { amphora_id: n.slice(8) },
        ...(await s.buildExtras?.(n)),
        ...extra,
      });
    const active = (id: string) => eventually(() => driver.status(id), (st) => st === ComputeStatus.ACTIVE, s.bootTimeoutMs);

    it('builds, is BUILD then ACTIVE, and is found by id and by name', async () => {
      const n = name();
      const id = await build(n);
      expect(id).toEqual(expect.any(String));
      expect([ComputeStatus.BUILD, ComputeStatus.ACTIVE]).toContain(await driver.status(id));
      await active(id);

      const byId = await driver.getAmphora({ id });
      const byName = await driver.getAmphora({ name: n });
      expect(byName).toEqual(byId);
      expect(byId).toMatchObject({ id, name: n, status: ComputeStatus.ACTIVE, availabilityZone: s.known.zone, imageId: s.known.imageId });
      expect(byId.lbNetworkIp).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
      expect(byId.hostId).toEqual(expect.any(String));
      expect(byId.fault).toBeUndefined();
      await driver.delete(id);
    });

    it('makes one instance per name: a build retried with the same name returns the first', async () => {
      const n = name();
      const first = await build(n);
      expect(await build(n)).toBe(first);
      await driver.delete(first);
    });

    it('deletes idempotently: the instance is gone (soon), deleting again succeeds', async () => {
      const n = name();
      const id = await build(n);
      await active(id);
      await driver.delete(id);
      await driver.delete(id);
      await eventually(() => outcome(driver.status(id)), gone);
      await eventually(() => outcome(driver.getAmphora({ name: n })), gone);
      await driver.delete(id);
      // A new build with the name of a deleted instance makes a new one.
      const again = await build(n);
      expect(again).not.toBe(id);
      await driver.delete(again);
    });

    it('answers InstanceNotFoundError (not retryable) for what does not exist', async () => {
      expect(await outcome(driver.status(randomUUID()))).toEqual({ error: 'InstanceNotFoundError', retryable: false });
      expect(await outcome(driver.getAmphora({ id: randomUUID() }))).toEqual({ error: 'InstanceNotFoundError', retryable: false });
      expect(await outcome(driver.getAmphora({ name: name() }))).toEqual({ error: 'InstanceNotFoundError', retryable: false });
      await expect(driver.delete(randomUUID())).resolves.toBeUndefined();
    });

    it('creates and deletes server groups (idempotently), and builds into one', async () => {
      const groupId = await driver.createServerGroup(`octavia-lb-${randomUUID()}`, 'anti-affinity');
      expect(groupId).toEqual(expect.any(String));
      const soft = await driver.createServerGroup(`octavia-lb-${randomUUID()}`, 'soft-anti-affinity');
      expect(soft).not.toBe(groupId);
      const id = await build(name(), { serverGroupId: groupId });
      await active(id);
      await driver.delete(id);
      await driver.deleteServerGroup(groupId);
      await driver.deleteServerGroup(groupId);
      await driver.deleteServerGroup(soft);
    });

    it('attaches and detaches ports; detaching again is fine; a missing instance is InstanceNotFoundError', async () => {
      const id = await build(name());
      await active(id);
      const port = await s.newPort();
      await driver.attachPort(id, port);
      await driver.attachPort(id, port); // a retried attach
      await driver.detachPort(id, port);
      await driver.detachPort(id, port);
      await expect(driver.attachPort(randomUUID(), await s.newPort())).rejects.toBeInstanceOf(InstanceNotFoundError);
      await driver.delete(id);
    });

    it('validates flavors, images and availability zones', async () => {
      await expect(driver.validateFlavor(s.known.flavorId)).resolves.toBeUndefined();
      await expect(driver.validateImage(s.known.imageId)).resolves.toBeUndefined();
      await expect(driver.validateAvailabilityZone(s.known.zone)).resolves.toBeUndefined();
      // One call at a time: a rejection must have its handler before the next macrotask (else unhandled).
      const calls = [() => driver.validateFlavor('no-such-flavor'), () => driver.validateImage(randomUUID()), () => driver.validateAvailabilityZone('no-such-zone')];
      for (const call of calls) {
        const err = await call().then(() => undefined, (e: unknown) => e);
        expect(err).toBeInstanceOf(ComputeValidationError);
        expect((err as ComputeValidationError).retryable).toBe(false);
      }
    });

    it('creates flavors with extra specs, and deletes them idempotently', async () => {
      const id = await driver.createFlavor({
        name: `amphora-${randomUUID().slice(0, 8)}`,
        ram: 1024,
        vcpus: 1,
        disk: 3,
        isPublic: false,
        extraSpecs: { 'hw:cpu_policy': 'dedicated' },
      });
      await expect(driver.validateFlavor(id)).resolves.toBeUndefined();
      await driver.deleteFlavor(id);
      await driver.deleteFlavor(id);
      await expect(driver.validateFlavor(id)).rejects.toBeInstanceOf(ComputeValidationError);
    });
  });
}
