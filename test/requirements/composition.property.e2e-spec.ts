import fc from 'fast-check';
import { APIKeyHeader, SecuritySchemesModule, type SchemeRequirement } from 'nestjs-security-schemes';
import { buildDocument } from '../utils/openapi';
import { createTestApp, type Platform, type TestApp } from '../utils/platforms';
import { routeController, type Alternative, type LevelDeclaration } from '../utils/routes';
import { TokenValidator } from '../utils/tokens';

// For random declarations at every level and random requests: the guard decides what the normal form
// says, and the document lists exactly that form. The oracle below builds the product of the levels
// and merges per term on its own; it shares no code with the compiler.

const SCHEMES = ['A', 'B', 'C', 'D'] as const;
type Name = (typeof SCHEMES)[number];
/** D is `autoError: false`: absent credentials never make it fail. */
const schemes: Record<Name, APIKeyHeader> = {
  A: new APIKeyHeader({ name: 'X-A', schemeName: 'A' }),
  B: new APIKeyHeader({ name: 'X-B', schemeName: 'B' }),
  C: new APIKeyHeader({ name: 'X-C', schemeName: 'C' }),
  D: new APIKeyHeader({ name: 'X-D', schemeName: 'D', autoError: false }),
};
const SCOPES = ['s1', 's2'];

interface Entry {
  scheme: Name;
  scopes: string[];
  optional: boolean;
}
interface Level {
  alternatives: Entry[][];
  skip: boolean;
}
/** Per scheme: not sent, sent and refused by the validator, or sent and granting these scopes. */
type Sent = 'absent' | 'invalid' | { scopes: string[] };
type Request = Record<Name, Sent>;
interface Route {
  base: Level;
  controller: Level;
  handler: Level;
  requests: Request[];
}

const entry = fc.record({
  scheme: fc.constantFrom(...SCHEMES),
  scopes: fc.subarray(SCOPES),
  optional: fc.integer({ min: 0, max: 3 }).map((n) => n === 0), // about a quarter of entries
});
const alternatives = fc.array(fc.array(entry, { minLength: 1, maxLength: 2 }), { maxLength: 2 });
const level = fc.record({ alternatives, skip: fc.integer({ min: 0, max: 5 }).map((n) => n === 0) });
const sent: fc.Arbitrary<Sent> = fc.oneof(
  fc.constant('absent' as const),
  fc.constant('invalid' as const),
  fc.subarray(SCOPES).map((scopes) => ({ scopes })),
);
const request = fc.record({ A: sent, B: sent, C: sent, D: sent });
const route = fc.record({ base: level, controller: level, handler: level, requests: fc.array(request, { minLength: 3, maxLength: 3 }) });

// ---- the oracle ----

type Term = Map<Name, { scopes: Set<string>; optional: boolean }>;

function normalForm(levels: Level[]): Term[] {
  const start = Math.max(0, ...levels.map((l, i) => (l.skip ? i : 0)));
  let terms: Term[] = [new Map()];
  for (const { alternatives: alts } of levels.slice(start)) {
    if (alts.length === 0) continue;
    const next: Term[] = [];
    for (const term of terms) {
      for (const alternative of alts) {
        const merged: Term = new Map([...term].map(([n, e]) => [n, { scopes: new Set(e.scopes), optional: e.optional }]));
        for (const { scheme, scopes, optional } of alternative) {
          const own = optional || scheme === 'D';
          const existing = merged.get(scheme);
          if (existing) {
            scopes.forEach((s) => existing.scopes.add(s));
            existing.optional &&= own;
          } else merged.set(scheme, { scopes: new Set(scopes), optional: own });
        }
        if (!next.some((other) => termKey(other) === termKey(merged))) next.push(merged);
      }
    }
    terms = next;
  }
  return terms.length === 1 && terms[0].size === 0 ? [] : terms;
}

function termKey(term: Term): string {
  return [...term]
    .map(([n, e]) => `${n}${e.optional ? '?' : ''}:${[...e.scopes].sort().join(',')}`)
    .sort()
    .join(' ');
}

/** Every set of schemes a client may send for the form, as `A:s1,s2 B:` strings; '' is "nothing". */
function documentedKeys(terms: Term[]): string[] {
  const keys = new Set<string>();
  for (const term of terms) {
    const entries = [...term];
    const optional = entries.filter(([, e]) => e.optional);
    for (let mask = 0; mask < 1 << optional.length; mask++) {
      const present = entries.filter(([, e]) => !e.optional || (mask & (1 << optional.findIndex(([, o]) => o === e))) === 0);
      keys.add(requirementKey(Object.fromEntries(present.map(([n, e]) => [n, [...e.scopes]]))));
    }
  }
  return [...keys].sort();
}

function requirementKey(requirement: Record<string, string[]>): string {
  return Object.entries(requirement)
    .map(([n, scopes]) => `${n}:${[...scopes].sort().join(',')}`)
    .sort()
    .join(' ');
}

type Decision = { status: 200; user: string | null } | { status: 401 | 403 };

/** The first term that passes wins; else the first refusal; else anonymous if a term allows it; else 401. */
function decide(terms: Term[], req: Request): Decision {
  let refusal: Decision | undefined;
  let anonymous = false;
  for (const term of terms) {
    const entries = [...term];
    if (entries.some(([n, e]) => req[n] === 'absent' && !e.optional)) continue;
    if (entries.every(([n]) => req[n] === 'absent')) {
      anonymous = true;
      continue;
    }
    let failed: Decision | undefined;
    for (const [n, e] of entries) {
      const s = req[n];
      if (s === 'absent') continue;
      if (s === 'invalid') failed = { status: 401 };
      else if (![...e.scopes].every((scope) => s.scopes.includes(scope))) failed = { status: 403 };
      if (failed) break;
    }
    if (!failed) return { status: 200, user: entries.find(([n]) => req[n] !== 'absent')![0].toLowerCase() };
    refusal ??= failed;
  }
  if (refusal) return refusal;
  if (terms.length === 0 || anonymous) return { status: 200, user: null };
  return { status: 401 };
}

// ---- the apps ----

const toDeclaration = (l: Level): LevelDeclaration => ({ alternatives: l.alternatives.map(toAlternative), skip: l.skip });
const toAlternative = (alternative: Entry[]): Alternative =>
  alternative.map(({ scheme, scopes, optional }): SchemeRequirement => ({ scheme: schemes[scheme], scopes, optional }));

function headersOf(req: Request): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const name of SCHEMES) {
    const s = req[name];
    if (s === 'absent') continue;
    headers[`X-${name}`] = s === 'invalid' ? 'rejected;' : `${name.toLowerCase()};${s.scopes.join(',')}`;
  }
  return headers;
}

/** Fastify answers in-process through `inject` (fast enough for thousands of requests); Express over HTTP. */
async function send(t: TestApp, platform: Platform, path: string, headers: Record<string, string>) {
  if (platform === 'fastify') {
    const response = await t.app.getHttpAdapter().getInstance().inject({ method: 'GET', url: path, headers });
    return { status: response.statusCode, body: response.statusCode === 200 ? response.json() : undefined };
  }
  const response = await t.http.get(path).set(headers);
  return { status: response.status, body: response.body };
}

/** Routes whose form the library would refuse at start-up (over 32 alternatives) are left out. */
const withinLimit = (defaults: Entry[][]) => (r: Route) => {
  const terms = normalForm([{ alternatives: defaults, skip: false }, r.base, r.controller, r.handler]);
  return terms.length <= 32 && documentedKeys(terms).length <= 32;
};

async function checkApp(platform: Platform, defaults: Entry[][], routes: Route[]): Promise<void> {
  const t = await createTestApp(platform, {
    imports: [
      SecuritySchemesModule.forRoot({
        schemes: SCHEMES.map((name) => ({ scheme: schemes[name], validator: TokenValidator })),
        defaultSecurity: defaults.map(toAlternative),
      }),
    ],
    providers: [TokenValidator],
    controllers: routes.map((r, i) =>
      routeController(`p/${i}`, `Route${i}Controller`, {
        base: toDeclaration(r.base),
        controller: toDeclaration(r.controller),
        handler: toDeclaration(r.handler),
      }),
    ),
  });
  try {
    const document = buildDocument(t.app);
    for (const [i, r] of routes.entries()) {
      const terms = normalForm([{ alternatives: defaults, skip: false }, r.base, r.controller, r.handler]);
      const security: Record<string, string[]>[] = document.paths[`/p/${i}`].get!.security ?? [];
      expect({ route: i, documented: security.map(requirementKey).sort() }).toEqual({ route: i, documented: documentedKeys(terms) });
      if (![...terms].some((term) => [...term.values()].some((e) => e.optional))) {
        expect({ route: i, order: security.map(requirementKey) }).toEqual({ route: i, order: terms.map((term) => termKey(term).replace(/\?/g, '')) });
      }
      for (const req of r.requests) {
        const answer = await send(t, platform, `/p/${i}`, headersOf(req));
        const got = answer.status === 200 ? { status: 200, user: answer.body.user } : { status: answer.status };
        expect({ route: i, request: req, decision: got }).toEqual({ route: i, request: req, decision: decide(terms, req) });
      }
    }
  } finally {
    await t.close();
  }
}

describe('composition holds for random declarations and requests', () => {
  const defaults = fc.array(fc.array(entry, { minLength: 1, maxLength: 2 }), { maxLength: 2 });

  it.each([
    ['fastify', 10],
    ['express', 3],
  ] as [Platform, number][])('on %s: %i apps of 100 random routes, 3 random requests each', async (platform, runs) => {
    await fc.assert(
      fc.asyncProperty(
        defaults.chain((d) => fc.tuple(fc.constant(d), fc.array(route.filter(withinLimit(d)), { minLength: 100, maxLength: 100 }))),
        ([d, routes]) => checkApp(platform, d, routes),
      ),
      { numRuns: runs, endOnFailure: true },
    );
  }, 120_000);
});
