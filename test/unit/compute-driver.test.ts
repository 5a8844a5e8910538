/** The compute-driver interface's rules, enforced once in the base class for every driver. */
import { ApplicationFailure } from '@temporalio/common';
import {
  AmphoraBuildError,
  ComputeNotImplementedError,
  InstanceNotFoundError,
  MAX_CONFIG_DRIVE_FILE_BYTES,
  NoopComputeDriver,
} from '../../drivers/compute';
import { toApplicationFailure } from '../../common/failures';

describe('build request rules', () => {
  const driver = new NoopComputeDriver();

  it('supports only amphora type VM', async () => {
    await expect(driver.build({ name: 'a', amphoraType: 'CONTAINER' })).rejects.toBeInstanceOf(ComputeNotImplementedError);
    await expect(driver.build({ name: 'a', amphoraType: 'VM' })).resolves.toEqual(expect.any(String));
  });

  it('allows at most five config drive files', async () => {
    const files = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`/etc/f${i}`, 'x']));
    await expect(driver.build({ name: 'five', configDriveFiles: files(5) })).resolves.toEqual(expect.any(String));
    await expect(driver.build({ name: 'six', configDriveFiles: files(6) })).rejects.toThrow('At most 5 config drive files');
  });

  it('allows config drive files of at most 10 KiB, counted in bytes', async () => {
    const max = 'x'.repeat(MAX_CONFIG_DRIVE_FILE_BYTES);
    await expect(driver.build({ name: 'max', configDriveFiles: { '/a': max } })).resolves.toEqual(expect.any(String));
    await expect(driver.build({ name: 'big', configDriveFiles: { '/a': `${max}x` } })).rejects.toBeInstanceOf(AmphoraBuildError);
    // 5,121 two-byte characters: under the limit in characters, over it in bytes.
    await expect(driver.build({ name: 'utf8', configDriveFiles: { '/a': 'é'.repeat(5121) } })).rejects.toThrow('larger than');
    await expect(driver.build({ name: 'bytes', configDriveFiles: { '/a': new Uint8Array(100) } })).resolves.toEqual(expect.any(String));
  });

  it('takes user data as a string or bytes only', async () => {
    await expect(driver.build({ name: 'u1', userData: '#cloud-config' })).resolves.toEqual(expect.any(String));
    await expect(driver.build({ name: 'u2', userData: new Uint8Array([1, 2]) })).resolves.toEqual(expect.any(String));
    await expect(driver.build({ name: 'u3', userData: 42 as unknown as string })).rejects.toThrow('User data must be');
  });
});

describe('no-op driver', () => {
  it('is in BUILD for its delay, then ACTIVE; builds are idempotent by name; not found after delete', async () => {
    let now = 1000;
    const driver = new NoopComputeDriver({ buildDelayMs: 500, now: () => now });
    const id = await driver.build({ name: 'amphora-1' });
    expect(await driver.build({ name: 'amphora-1' })).toBe(id);
    expect(await driver.status(id)).toBe('BUILD');
    now += 500;
    expect(await driver.status(id)).toBe('ACTIVE');
    expect((await driver.getAmphora({ name: 'amphora-1' })).id).toBe(id);
    await driver.delete(id);
    await driver.delete(id); // idempotent
    await expect(driver.status(id)).rejects.toBeInstanceOf(InstanceNotFoundError);
    await expect(driver.getAmphora({ name: 'amphora-1' })).rejects.toBeInstanceOf(InstanceNotFoundError);
  });
});

describe('mapping to Temporal failures', () => {
  it('keeps the class name as the type and the retryability of the error', () => {
    const transient = toApplicationFailure(new AmphoraBuildError('compute 503')) as ApplicationFailure;
    expect(transient).toBeInstanceOf(ApplicationFailure);
    expect(transient).toMatchObject({ type: 'AmphoraBuildError', nonRetryable: false, message: 'compute 503' });

    const gone = toApplicationFailure(new InstanceNotFoundError('gone', { computeId: 'c1' })) as ApplicationFailure;
    expect(gone).toMatchObject({ type: 'InstanceNotFoundError', nonRetryable: true });

    const throttled = toApplicationFailure(new AmphoraBuildError('429', { retryAfterSeconds: 7 })) as ApplicationFailure;
    expect(throttled.nextRetryDelay).toBe('7s');
  });

  it('leaves errors we did not raise on purpose as they are (retryable by default)', () => {
    const err = new Error('connection reset');
    expect(toApplicationFailure(err)).toBe(err);
  });
});
