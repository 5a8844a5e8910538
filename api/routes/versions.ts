/**
 * Version discovery (`GET /`, as Octavia 11 answers it; recorded in root_versions.json). openstacksdk
 * reads it at the service root before calling /v2; the same document is served at /v2 and /v2.0 so a
 * client whose endpoint already ends in the version finds it too. Links are built from the request's
 * host, as Octavia builds them from the request URL.
 */
import type { Request } from 'express';
import { z } from 'zod';
import { ApiRouter } from '../contract';

/** Octavia's API versions (id, status, date), oldest first: v2.26 is Octavia 11's. */
const versions: [string, string, string][] = [
  ['v2.0', 'SUPPORTED', '2016-12-11T00:00:00Z'],
  ['v2.1', 'SUPPORTED', '2018-04-20T00:00:00Z'],
  ['v2.2', 'SUPPORTED', '2018-07-31T00:00:00Z'],
  ['v2.3', 'SUPPORTED', '2018-12-18T00:00:00Z'],
  ['v2.4', 'SUPPORTED', '2018-12-19T00:00:00Z'],
  ['v2.5', 'SUPPORTED', '2019-01-21T00:00:00Z'],
  ['v2.6', 'SUPPORTED', '2019-01-25T00:00:00Z'],
  ['v2.7', 'SUPPORTED', '2018-01-25T12:00:00Z'],
  ['v2.8', 'SUPPORTED', '2019-02-12T00:00:00Z'],
  ['v2.9', 'SUPPORTED', '2019-03-04T00:00:00Z'],
  ['v2.10', 'SUPPORTED', '2019-03-05T00:00:00Z'],
  ['v2.11', 'SUPPORTED', '2019-06-24T00:00:00Z'],
  ['v2.12', 'SUPPORTED', '2019-09-11T00:00:00Z'],
  ['v2.13', 'SUPPORTED', '2019-09-13T00:00:00Z'],
  ['v2.14', 'SUPPORTED', '2019-11-10T00:00:00Z'],
  ['v2.15', 'SUPPORTED', '2020-03-10T00:00:00Z'],
  ['v2.16', 'SUPPORTED', '2020-03-15T00:00:00Z'],
  ['v2.17', 'SUPPORTED', '2020-04-29T00:00:00Z'],
  ['v2.18', 'SUPPORTED', '2020-04-29T01:00:00Z'],
  ['v2.19', 'SUPPORTED', '2020-05-12T00:00:00Z'],
  ['v2.20', 'SUPPORTED', '2020-08-02T00:00:00Z'],
  ['v2.21', 'SUPPORTED', '2020-09-03T00:00:00Z'],
  ['v2.22', 'SUPPORTED', '2020-09-04T00:00:00Z'],
  ['v2.23', 'SUPPORTED', '2020-09-07T00:00:00Z'],
  ['v2.24', 'SUPPORTED', '2020-10-15T00:00:00Z'],
  ['v2.25', 'SUPPORTED', '2021-10-02T00:00:00Z'],
  ['v2.26', 'CURRENT', '2022-08-29T00:00:00Z'],
];

export function versionDocument(req: Request) {
  const href = `${req.protocol}://${req.get('host')}/v2`;
  return { versions: versions.map(([id, status, updated]) => ({ id, status, updated, links: [{ href, rel: 'self' }] })) };
}

const versionsSchema = z.object({
  versions: z.array(
    z.object({ id: z.string(), status: z.enum(['CURRENT', 'SUPPORTED']), updated: z.string(), links: z.array(z.object({ href: z.string(), rel: z.string() })) }),
  ),
});

export function versionRoutes(): ApiRouter {
  const routes = new ApiRouter();
  routes.get(['/', '/v2', '/v2.0'], { summary: 'The API versions', response: versionsSchema }, (req, res) => {
    res.json(versionDocument(req));
  });
  return routes;
}
