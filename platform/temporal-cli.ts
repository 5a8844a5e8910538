/**
 * Finds the `temporal` CLI (which serves the local dev server and its Web UI), in this order:
 * TEMPORAL_CLI_PATH, then PATH, then the per-user tools folder, else builds it there once with Go.
 *
 * The build pins v1.5.1: later releases carry a `replace` directive in go.mod, which
 * `go install pkg@version` refuses. The tools folder lies outside the clone (a per-user cache), so a
 * fresh clone — CI's, say — reuses the binary instead of spending minutes rebuilding it.
 */
import { execFile, spawn } from 'node:child_process';
import { access, constants, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Logger } from '../common/logger';

export const TEMPORAL_CLI_MODULE = 'github.com/temporalio/cli/cmd/temporal@v1.5.1';

export const isExecutable = (file: string) =>
  access(file, constants.X_OK).then(
    () => true,
    () => false,
  );

export async function onPath(name: string): Promise<string | undefined> {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter).filter(Boolean)) {
    const candidate = path.join(dir, name);
    if (await isExecutable(candidate)) return candidate;
  }
  return undefined;
}

export async function findTemporalCli(opts: { cliPath?: string; toolsDir: string }): Promise<string | undefined> {
  if (opts.cliPath) {
    if (await isExecutable(opts.cliPath)) return opts.cliPath;
    throw new Error(`TEMPORAL_CLI_PATH=${opts.cliPath} is not an executable file.`);
  }
  const cached = path.join(opts.toolsDir, 'temporal');
  return (await onPath('temporal')) ?? ((await isExecutable(cached)) ? cached : undefined);
}

export async function ensureTemporalCli(opts: { cliPath?: string; toolsDir: string }, log: Logger): Promise<string> {
  const found = await findTemporalCli(opts);
  if (found) return found;

  const go = await onPath('go');
  if (!go) {
    throw new Error(
      'The Temporal CLI was not found. Install it (https://docs.temporal.io/cli#install) and put it on PATH or set ' +
        `TEMPORAL_CLI_PATH, or install Go so that it can be built with: go install ${TEMPORAL_CLI_MODULE}`,
    );
  }
  await goInstall(go, [TEMPORAL_CLI_MODULE], opts.toolsDir, 'the Temporal CLI (about 3 minutes on 2 cores)', log);
  return path.join(opts.toolsDir, 'temporal');
}

/** Builds Go packages into `toolsDir` (`go install`, modules from the Go module proxy), once. */
export async function goInstall(go: string, packages: string[], toolsDir: string, what: string, log: Logger): Promise<void> {
  await mkdir(toolsDir, { recursive: true });
  log.info({ packages, into: toolsDir }, `Building ${what} once with Go`);
  const started = Date.now();
  await new Promise<void>((resolve, reject) => {
    const child = spawn(go, ['install', ...packages], { env: { ...process.env, GOBIN: toolsDir }, stdio: ['ignore', 'inherit', 'inherit'] });
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`go install ${packages.join(' ')} exited with ${code}`))));
  });
  log.info({ seconds: Math.round((Date.now() - started) / 1000), into: toolsDir }, `Built ${what}`);
}

export async function temporalCliVersion(cli: string): Promise<string> {
  const { stdout } = await promisify(execFile)(cli, ['--version']);
  return stdout.trim();
}
