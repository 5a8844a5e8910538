/**
 * /v2/lbaas/providers (Octavia api-ref: Providers): the enabled provider drivers, and what their
 * flavor and availability zone profiles may set (`/{provider}/flavor_capabilities`,
 * `/{provider}/availability_zone_capabilities`, filterable by `name` and `description`).
 */
import type { Request } from 'express';
import { z } from 'zod';
import { ApiRouter } from '../contract';
import type { ApiDeps } from '../deps';
import { authorize } from '../context';
import { selectFields } from '../listing';
import { availabilityZoneCapabilities, flavorCapabilities, providers, requireProvider } from '../../domain/providers';

const fieldsOf = (req: Request) => (req.query.fields === undefined ? undefined : [req.query.fields].flat().map(String));
const first = (v: unknown) => (v === undefined ? undefined : String([v].flat()[0]));

const named = z.object({ name: z.string(), description: z.string() });
const fields = z.array(z.enum(['name', 'description'])).optional();
const capabilityQuery = z.object({ name: z.string().optional(), description: z.string().optional(), fields });

function capabilityList(req: Request, capabilities: Record<string, { description: string }>) {
  requireProvider(req.params.provider as string);
  const name = first(req.query.name);
  const description = first(req.query.description);
  const items = Object.entries(capabilities)
    .map(([n, c]) => ({ name: n, description: c.description }))
    .filter((c) => (name === undefined || c.name === name) && (description === undefined || c.description === description));
  return selectFields(items, fieldsOf(req));
}

export function providerRoutes(_deps: ApiDeps): ApiRouter {
  const routes = new ApiRouter();

  routes.get('/', { summary: 'List the providers', query: z.object({ fields }), response: z.object({ providers: z.array(named) }) }, (req, res) => {
    authorize(req, 'provider:get_all');
    res.json({ providers: selectFields(providers.map((p) => ({ name: p.name, description: p.description })), fieldsOf(req)) });
  });

  for (const [key, capabilities, action] of [
    ['flavor_capabilities', flavorCapabilities, 'provider-flavor:get_all'],
    ['availability_zone_capabilities', availabilityZoneCapabilities, 'provider-availability-zone:get_all'],
  ] as const) {
    const doc = { summary: `List a provider's ${key.replaceAll('_', ' ')}`, query: capabilityQuery, response: z.object({ [key]: z.array(named) }) };
    routes.get(`/:provider/${key}`, doc, (req, res) => {
      // Admin only, checked before the provider is looked up (as Octavia does).
      authorize(req, action);
      res.json({ [key]: capabilityList(req, capabilities) });
    });
  }

  return routes;
}
