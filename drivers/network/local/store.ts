/**
 * The local cloud's state on disk: one JSON file per driver, read on every call and changed only under
 * a lock, so a controller restart (or a second process on the same state dir: API and worker) sees
 * exactly what exists.
 *
 * The lock is a file made with O_EXCL holding the owner's pid; a lock whose owner is dead is stale and
 * taken over (a crash never wedges the cloud). Inside one process, updates queue behind each other
 * first, so they never spin on their own lock. Writes are atomic (write, then rename).
 */
import { mkdir, open, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

const LOCK_TIMEOUT_MS = 60_000;

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export class JsonStore<T> {
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    readonly file: string,
    private readonly empty: () => T,
  ) {}

  async read(): Promise<T> {
    try {
      return JSON.parse(await readFile(this.file, 'utf8')) as T;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return this.empty();
      throw err;
    }
  }

  /** Runs `change` on the current state under the lock and saves what it leaves. */
  update<R>(change: (state: T) => R | Promise<R>): Promise<R> {
    const next = this.queue.then(() => this.locked(change));
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async locked<R>(change: (state: T) => R | Promise<R>): Promise<R> {
    await this.lock();
    try {
      const state = await this.read();
      const result = await change(state);
      const tmp = `${this.file}.${process.pid}.tmp`;
      await writeFile(tmp, JSON.stringify(state, null, 1));
      await rename(tmp, this.file);
      return result;
    } finally {
      await unlink(`${this.file}.lock`).catch(() => undefined);
    }
  }

  private async lock(): Promise<void> {
    const lockFile = `${this.file}.lock`;
    await mkdir(path.dirname(lockFile), { recursive: true });
    const until = Date.now() + LOCK_TIMEOUT_MS;
    for (;;) {
      try {
        const handle = await open(lockFile, 'wx');
        await handle.writeFile(String(process.pid));
        await handle.close();
        return;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      const owner = Number((await readFile(lockFile, 'utf8').catch(() => '')).trim());
      // Our own pid there is a leftover of an earlier process with the same pid: updates here are queued.
      if (owner && (owner === process.pid || !processAlive(owner))) {
        await unlink(lockFile).catch(() => undefined);
        continue;
      }
      if (Date.now() > until) throw new Error(`${lockFile} is held by process ${owner} for more than ${LOCK_TIMEOUT_MS} ms`);
      await sleep(20);
    }
  }
}
