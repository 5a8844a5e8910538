/**
 * `npm run member -- --port <p> [--name <name>]`: a small HTTP member on the local tenant network, in a
 * network namespace of its own (`<tenant netns>-<name>`, eth0 with an address of the subnet). It
 * prints one line, `member <name> listening on <ip>:<port> (namespace <netns>)`, and answers every
 * request (health checks included) with 200, its name as the body and an `X-Member: <name>` header.
 * Ctrl-C (or SIGTERM) stops it and removes its namespace and port.
 *
 * The network is the local network driver's, configured as the controller's (LOCAL_STATE_DIR,
 * LOCAL_TENANT_CIDR, LOCAL_TENANT_NETNS, LOCAL_TENANT_UPLINK; their defaults otherwise). Needs root.
 *
 * The server itself runs as this script re-executed with `--serve` under `nsenter --net`, not
 * `ip netns exec`: the latter gives the process a mount namespace holding a copy of every named netns
 * mount, which would keep a deleted amphora's namespace alive for as long as the member runs.
 */
import { spawn } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { LocalNetworkDriver } from '../drivers/network/local';

const { values } = parseArgs({
  options: { port: { type: 'string' }, name: { type: 'string' }, serve: { type: 'boolean', default: false } },
});
const port = Number(values.port);
if (!Number.isInteger(port) || port < 1 || port > 65535) {
  process.stderr.write('usage: npm run member -- --port <port> [--name <name>]\n');
  process.exit(2);
}
const name = values.name ?? `m${port}`;

function serve(): void {
  const server = http.createServer((req, res) => {
    req.resume();
    res.writeHead(200, { 'Content-Type': 'text/plain', 'X-Member': name });
    res.end(`${name}\n`);
  });
  server.listen(port, '0.0.0.0', () => process.stdout.write('ready\n'));
  process.on('SIGTERM', () => server.close(() => process.exit(0)));
}

async function main(): Promise<void> {
  const network = new LocalNetworkDriver({
    stateDir: process.env.LOCAL_STATE_DIR ?? path.join(__dirname, '..', '.data', 'local-cloud'),
    tenantCidr: process.env.LOCAL_TENANT_CIDR,
    tenantNetns: process.env.LOCAL_TENANT_NETNS,
    tenantUplink: process.env.LOCAL_TENANT_UPLINK,
  });
  const host = await network.addHost(name);
  const child = spawn('nsenter', [`--net=/run/netns/${host.netns}`, process.execPath, ...process.execArgv, __filename, '--serve', '--port', String(port), '--name', name], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let stopping = false;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    child.kill('SIGTERM');
    await network.removeHost(name);
    process.exit(code);
  };
  child.stdout.once('data', () => {
    process.stdout.write(`member ${name} listening on ${host.ipAddress}:${port} (namespace ${host.netns})\n`);
  });
  child.once('exit', (code, sig) => void stop(code === 0 || sig ? 0 : 1));
  process.on('SIGINT', () => void stop(0));
  process.on('SIGTERM', () => void stop(0));
}

if (values.serve) serve();
else
  main().catch((err: Error) => {
    process.stderr.write(`member: ${err.message}\n`);
    process.exit(1);
  });
