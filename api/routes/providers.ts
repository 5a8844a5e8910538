/**
 * /v2/lbaas/providers (Octavia api-ref: Providers): the enabled provider drivers, and what their
 * flavor and availability zone profiles may set (`/{provider}/flavor_capabilities`,
 * `/{provider}/availability_zone_capabilities`, filterable by `name` and `description`).
 */
import { Router, type Request } from 'express';
import type { ApiDeps } from '../deps';
import { selectFields } from '../listing';
import { availabilityZoneCapabilities, flavorCapabilities, providers, requireProvider } from '../providers';

const fieldsOf = (req: Request) => (req.query.fields === undefined ? undefined : [req.query.fields].flat().map(String));
const first = (v: unknown) => (v === undefined ? undefined : String([v].flat()[0]));

function capabilityList(req: Request, capabilities: Record<string, { description: string }>) {
  requireProvider(req.params.provider as string);
  const name = first(req.query.name);
  const description = first(req.query.description);
  const items = Object.entries(capabilities)
    .map(([n, c]) => ({ name: n, description: c.description }))
    .filter((c) => (name === undefined || c.name === name) && (description === undefined || c.description === description));
  return selectFields(items, fieldsOf(req));
}

export function providerRoutes(_deps: ApiDeps): Router {
  const router = Router();

  router.get('/', (req, res) => {
    res.json({ providers: selectFields(providers.map((p) => ({ name: p.name, description: p.description })), fieldsOf(req)) });
  });

  router.get('/:provider/flavor_capabilities', (req, res) => {
    res.json({ flavor_capabilities: capabilityList(req, flavorCapabilities) });
  });

  router.get('/:provider/availability_zone_capabilities', (req, res) => {
    res.json({ availability_zone_capabilities: capabilityList(req, availabilityZoneCapabilities) });
  });

  return router;
}
