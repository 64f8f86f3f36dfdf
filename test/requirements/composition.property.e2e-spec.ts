import { Injectable } from '@nestjs/common';
import fc from 'fast-check';
import {
  APIKeyHeader,
  equals,
  includes,
  SecuritySchemesModule,
  type ClaimCheck,
  type SchemeRequirement,
  type SecurityValidator,
} from 'nestjs-security-schemes';
import { buildDocument } from '../utils/openapi';
import { createTestApp, type Platform, type TestApp } from '../utils/platforms';
import { routeController, type Alternative, type LevelDeclaration } from '../utils/routes';

// For random declarations at every level (scopes and claim checks) and random requests: the guard
// decides what the normal form says, the document lists exactly that form and states its claim checks,
// and a route never lets in a request that its outer levels alone refuse (an inner level only narrows).
// The oracle below builds the product of the levels and merges per term on its own; it shares no code
// with the compiler.

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
/** Claim checks an entry may declare, by name; each made once, as an application would. */
const CHECKS = {
  r1: { claim: 'roles', check: includes('r1'), text: 'claim "roles" includes "r1"', passes: (p: Principal) => p.roles.includes('r1') },
  r2: { claim: 'roles', check: includes('r2'), text: 'claim "roles" includes "r2"', passes: (p: Principal) => p.roles.includes('r2') },
  t1: { claim: 'tid', check: equals('t1'), text: 'claim "tid" equals "t1"', passes: (p: Principal) => p.tid === 't1' },
};
type CheckName = keyof typeof CHECKS;
const CHECK_NAMES = Object.keys(CHECKS) as CheckName[];

interface Entry {
  scheme: Name;
  scopes: string[];
  optional: boolean;
  claims: CheckName[];
}
interface Level {
  alternatives: Entry[][];
  skip: boolean;
}
/** What a valid credential grants. */
interface Principal {
  scopes: string[];
  roles: string[];
  tid: string;
}
/** Per scheme: not sent, sent and refused by the validator, or sent and granting these scopes and claims. */
type Sent = 'absent' | 'invalid' | Principal;
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
  claims: fc.oneof(fc.constant([] as CheckName[]), fc.constant([] as CheckName[]), fc.subarray(CHECK_NAMES, { maxLength: 2 })),
});
const alternatives = fc.array(fc.array(entry, { minLength: 1, maxLength: 2 }), { maxLength: 2 });
const level = fc.record({ alternatives, skip: fc.integer({ min: 0, max: 5 }).map((n) => n === 0) });
const sent: fc.Arbitrary<Sent> = fc.oneof(
  fc.constant('absent' as const),
  fc.constant('invalid' as const),
  fc.record({ scopes: fc.subarray(SCOPES), roles: fc.subarray(['r1', 'r2']), tid: fc.constantFrom('t1', 't2') }),
);
const request = fc.record({ A: sent, B: sent, C: sent, D: sent });
const route = fc.record({ base: level, controller: level, handler: level, requests: fc.array(request, { minLength: 3, maxLength: 3 }) });

// ---- the oracle ----

type Term = Map<Name, { scopes: Set<string>; optional: boolean; claims: CheckName[] }>;

function normalForm(levels: Level[]): Term[] {
  const start = Math.max(0, ...levels.map((l, i) => (l.skip ? i : 0)));
  let terms: Term[] = [new Map()];
  for (const { alternatives: alts } of levels.slice(start)) {
    if (alts.length === 0) continue;
    const next: Term[] = [];
    for (const term of terms) {
      for (const alternative of alts) {
        const merged: Term = new Map(
          [...term].map(([n, e]) => [n, { scopes: new Set(e.scopes), optional: e.optional, claims: [...e.claims] }]),
        );
        for (const { scheme, scopes, optional, claims } of alternative) {
          const own = optional || scheme === 'D';
          const existing = merged.get(scheme);
          if (existing) {
            scopes.forEach((s) => existing.scopes.add(s));
            existing.optional &&= own;
            for (const check of claims) if (!existing.claims.includes(check)) existing.claims.push(check);
          } else merged.set(scheme, { scopes: new Set(scopes), optional: own, claims: [...claims] });
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
    .map(([n, e]) => `${n}${e.optional ? '?' : ''}:${[...e.scopes].sort().join(',')}|${[...e.claims].sort().join(',')}`)
    .sort()
    .join(' ');
}

/** What the document lists for a term without optional entries: schemes and scopes, not claim checks. */
function scopesKey(term: Term): string {
  return requirementKey(Object.fromEntries([...term].map(([n, e]) => [n, [...e.scopes]])));
}

/** The description lines the document must state: each term's claim checks, per scheme, in order declared. */
function describedChecks(terms: Term[]): string[] {
  const lines: string[] = [];
  terms.forEach((term, index) => {
    for (const [n, e] of term) {
      if (e.claims.length === 0) continue;
      const which = terms.length > 1 ? ` (alternative ${index + 1})` : '';
      lines.push(`- ${n}${which}: ${e.claims.map((check) => CHECKS[check].text).join('; ')}`);
    }
  });
  return lines;
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
      else if (!e.claims.every((check) => CHECKS[check].passes(s))) failed = { status: 403 };
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
  alternative.map(({ scheme, scopes, optional, claims }): SchemeRequirement => ({
    scheme: schemes[scheme],
    scopes,
    optional,
    ...(claims.length > 0 && { claims: claimChecks(claims) }),
  }));

/** `{ roles: [includes('r1'), includes('r2')], tid: [equals('t1')] }`: checks grouped by claim, in order. */
function claimChecks(names: CheckName[]): Record<string, ClaimCheck[]> {
  const checks: Record<string, ClaimCheck[]> = {};
  for (const name of names) (checks[CHECKS[name].claim] ??= []).push(CHECKS[name].check);
  return checks;
}

/**
 * Reads test credentials `sub;scopes;roles;tid` (`a;s1,s2;r1;t1`); `rejected;` is refused. The principal
 * is a plain object, so claim checks read it.
 */
@Injectable()
class ClaimsTokenValidator implements SecurityValidator<string> {
  validate(raw: string) {
    const [sub, scopes = '', roles = '', tid] = raw.split(';');
    if (!sub || sub === 'rejected') return null;
    return { sub, scopes: scopes ? scopes.split(',') : [], roles: roles ? roles.split(',') : [], tid };
  }
}

function headersOf(req: Request): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const name of SCHEMES) {
    const s = req[name];
    if (s === 'absent') continue;
    headers[`X-${name}`] = s === 'invalid' ? 'rejected;' : `${name.toLowerCase()};${s.scopes.join(',')};${s.roles.join(',')};${s.tid}`;
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
        schemes: SCHEMES.map((name) => ({ scheme: schemes[name], validator: ClaimsTokenValidator })),
        defaultSecurity: defaults.map(toAlternative),
      }),
    ],
    providers: [ClaimsTokenValidator],
    controllers: routes.flatMap((r, i) => [
      routeController(`p/${i}`, `Route${i}Controller`, {
        base: toDeclaration(r.base),
        controller: toDeclaration(r.controller),
        handler: toDeclaration(r.handler),
      }),
      // The same route without its handler's declaration: what the outer levels alone decide.
      routeController(`p/${i}/outer`, `Route${i}OuterController`, { base: toDeclaration(r.base), controller: toDeclaration(r.controller) }),
    ]),
  });
  try {
    const document = buildDocument(t.app);
    for (const [i, r] of routes.entries()) {
      const terms = normalForm([{ alternatives: defaults, skip: false }, r.base, r.controller, r.handler]);
      const security: Record<string, string[]>[] = document.paths[`/p/${i}`].get!.security ?? [];
      expect({ route: i, documented: security.map(requirementKey).sort() }).toEqual({ route: i, documented: documentedKeys(terms) });
      if (![...terms].some((term) => [...term.values()].some((e) => e.optional))) {
        expect({ route: i, order: security.map(requirementKey) }).toEqual({ route: i, order: [...new Set(terms.map(scopesKey))] });
      }
      const description: string | undefined = document.paths[`/p/${i}`].get!.description;
      const lines = describedChecks(terms);
      expect({ route: i, description: description?.split('\n').slice(1) ?? [] }).toEqual({ route: i, description: lines });
      // An inner level only narrows: what the route lets in, its outer levels alone let in too. Checked
      // when the outer form has no optional entry: an optional term that lets a request in anonymously
      // yields to an earlier refusal, and ANDing a required scheme into it can turn that into a pass.
      const outerTerms = normalForm([{ alternatives: defaults, skip: false }, r.base, r.controller]);
      const narrows = !r.handler.skip && outerTerms.length > 0 && outerTerms.every((term) => [...term.values()].every((e) => !e.optional));
      for (const req of r.requests) {
        const answer = await send(t, platform, `/p/${i}`, headersOf(req));
        const got = answer.status === 200 ? { status: 200, user: answer.body.user } : { status: answer.status };
        expect({ route: i, request: req, decision: got }).toEqual({ route: i, request: req, decision: decide(terms, req) });
        if (narrows && answer.status === 200) {
          const outer = await send(t, platform, `/p/${i}/outer`, headersOf(req));
          expect({ route: i, request: req, outer: outer.status }).toEqual({ route: i, request: req, outer: 200 });
        }
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
