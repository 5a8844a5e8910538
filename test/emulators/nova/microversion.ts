/**
 * Compute API microversions as Nova 26 (Zed) negotiates them: `OpenStack-API-Version: compute 2.x`
 * first, then the legacy `X-OpenStack-Nova-API-Version: 2.x`; none means 2.1; `latest` means 2.93;
 * a malformed version is a 400, one outside 2.1-2.93 a 406 (05-compute-unsupported-microversion.json).
 */
import { HttpError, novaFaultBody } from './http';

export const MIN_VERSION = '2.1';
export const MAX_VERSION = '2.93';

export class Microversion {
  constructor(
    readonly major: number,
    readonly minor: number,
  ) {}

  static parse(s: string): Microversion | undefined {
    const m = /^([1-9]\d*)\.([1-9]\d*|0)$/.exec(s);
    if (!m) return undefined;
    return new Microversion(Number(m[1]), Number(m[2]));
  }

  private cmp(other: string): number {
    const o = Microversion.parse(other);
    if (!o) throw new Error(`bad version ${other}`);
    return this.major !== o.major ? this.major - o.major : this.minor - o.minor;
  }

  /** this >= v */
  ge(v: string): boolean {
    return this.cmp(v) >= 0;
  }

  /** this < v */
  lt(v: string): boolean {
    return this.cmp(v) < 0;
  }

  toString(): string {
    return `${this.major}.${this.minor}`;
  }
}

/** The headers Nova adds to every versioned answer. */
export function versionHeaders(mv: Microversion): Record<string, string> {
  return {
    'OpenStack-API-Version': `compute ${mv.toString()}`,
    'X-OpenStack-Nova-API-Version': mv.toString(),
    Vary: 'OpenStack-API-Version',
  };
}

/** The compute version string requested, as microversion_parse.get_version finds it. */
function requestedVersion(headers: Record<string, string | string[] | undefined>): string | undefined {
  const raw = headers['openstack-api-version'];
  const values = (Array.isArray(raw) ? raw.join(',') : (raw ?? '')).split(',');
  for (const v of values) {
    const [service, version] = v.trim().split(/\s+/, 2);
    if (service?.toLowerCase() === 'compute' && version !== undefined) return version;
  }
  const legacy = headers['x-openstack-nova-api-version'];
  const l = Array.isArray(legacy) ? legacy[0] : legacy;
  return l?.trim() || undefined;
}

/**
 * The request's microversion, or the error Nova answers. A 406 still carries the version headers
 * (Nova sets the version before checking its range); a 400 for a malformed string does not.
 */
export function negotiate(headers: Record<string, string | string[] | undefined>): Microversion {
  const requested = requestedVersion(headers);
  if (requested === undefined) return Microversion.parse(MIN_VERSION) as Microversion;
  if (requested.toLowerCase() === 'latest') return Microversion.parse(MAX_VERSION) as Microversion;
  const mv = Microversion.parse(requested);
  if (!mv) {
    throw new HttpError(
      400,
      novaFaultBody(400, `API Version String ${requested} is of invalid format. Must be of format MajorNum.MinorNum.`),
    );
  }
  if (mv.lt(MIN_VERSION) || !mv.lt('2.94')) {
    throw new HttpError(
      406,
      novaFaultBody(
        406,
        `Version ${mv.toString()} is not supported by the API. Minimum is ${MIN_VERSION} and maximum is ${MAX_VERSION}.`,
      ),
      versionHeaders(mv),
    );
  }
  return mv;
}
