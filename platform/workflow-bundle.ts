/**
 * The workflow code as the worker loads it: one webpack bundle of workflows/ with the interceptors
 * every flow runs under. Bundling takes ~100 MB of heap that V8 keeps once it has it, so a worker
 * never bundles in its own process: it loads a prebuilt bundle (TEMPORAL_WORKFLOW_BUNDLE, `npm run
 * bundle-workflows` at image build time), or has a short-lived child process build one at start.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { bundleWorkflowCode } from '@temporalio/worker';
import type { Logger } from '../common/logger';
import { projectRoot } from '../config';

/** The workflow interceptors every flow runs under (a prebuilt bundle must include them). */
export const workflowInterceptorModules = [require.resolve('../workflows/observe')];

/** Bundles the workflows into `file`, in this process. */
export async function writeWorkflowBundle(file: string, log: Logger): Promise<void> {
  const bundle = await bundleWorkflowCode({
    workflowsPath: require.resolve('../workflows'),
    workflowInterceptorModules,
    logger: { trace() {}, debug() {}, info() {}, warn: (m) => log.warn(m), error: (m) => log.error(m), log() {} },
  });
  await writeFile(file, bundle.code);
}

/** Bundles the workflows in a child process; returns the bundle's file (in a fresh temporary folder). */
export async function bundleInChildProcess(log: Logger): Promise<string> {
  const file = path.join(await mkdtemp(path.join(os.tmpdir(), 'octavia-workflows-')), 'workflow-bundle.js');
  const started = Date.now();
  await promisify(execFile)(process.execPath, ['--import', 'tsx', path.join(projectRoot, 'bin', 'bundle-workflows.ts'), file], {
    cwd: projectRoot,
    maxBuffer: 16 * 1024 * 1024,
  });
  log.info({ file, ms: Date.now() - started }, 'Workflow code bundled');
  return file;
}
