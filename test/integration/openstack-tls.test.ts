/**
 * OS_CACERT and OS_INSECURE reach the OpenStack HTTP client (drivers/openstack/tls.ts): an endpoint
 * whose certificate a private CA signed is refused by default, answered with the CA file, and with
 * verification off.
 */
import { writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { OpenStackTransportError, send } from '../../drivers/openstack/http';
import { tlsDispatcher } from '../../drivers/openstack/tls';
import { makeTestPki, type TestPki } from '../emulators/amphora-agent/pki';

const log = pino({ level: 'silent' });
let pki: TestPki;
let server: Server;
let url: string;
let caFile: string;

beforeAll(async () => {
  pki = await makeTestPki();
  // A server certificate of the private CA for the name the client connects to.
  const pem = await pki.serverPem('localhost');
  server = createServer({ cert: pem, key: pem }, (_req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ versions: [] }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `https://localhost:${(server.address() as AddressInfo).port}/`;
  caFile = path.join(os.tmpdir(), `openstack-tls-ca-${process.pid}.pem`);
  await writeFile(caFile, pki.tls.serverCaPem);
});

afterAll(async () => {
  await new Promise((r) => server?.close(r));
  await pki?.remove();
});

const get = (dispatcher?: ReturnType<typeof tlsDispatcher>) => send({ driver: 'nova', service: 'identity', method: 'GET', url, timeoutMs: 5000, log, dispatcher });

it('refuses the private CA by default, and answers with OS_CACERT or OS_INSECURE', async () => {
  await expect(get()).rejects.toBeInstanceOf(OpenStackTransportError);
  expect(tlsDispatcher({})).toBeUndefined();
  expect((await get(tlsDispatcher({ caFile }))).status).toBe(200);
  expect((await get(tlsDispatcher({ insecure: true }))).status).toBe(200);
});

it('names an unreadable CA file', () => {
  expect(() => tlsDispatcher({ caFile: '/nonexistent/ca.pem' })).toThrow('The CA file /nonexistent/ca.pem (OS_CACERT / cacert) cannot be read');
});
