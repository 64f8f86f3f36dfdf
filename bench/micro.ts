import 'reflect-metadata';
import { Controller, Get, Injectable, Module, type ExecutionContext, type Type } from '@nestjs/common';
import { DiscoveryService, ModuleRef, ModulesContainer, NestFactory } from '@nestjs/core';
import * as crypto from 'node:crypto';
import {
  APIKeyCookie,
  APIKeyHeader,
  APIKeyQuery,
  HTTPBasic,
  HTTPBearer,
  HTTPDigest,
  OAuth2,
  OAuth2AuthorizationCodeBearer,
  OAuth2PasswordBearer,
  OpenIdConnect,
  Security,
  SecurityAll,
  SecurityGuard,
  SecurityRegistry,
  SecuritySchemesModule,
  SkipSecurity,
  type SecurityRequest,
  type SecurityScheme,
  type SecuritySchemesModuleOptions,
  type SecurityValidator,
  VerifiedTokenCache,
} from 'nestjs-security-schemes';
import { ApiKeyModule } from './apps/api-key';
import { BasicModule } from './apps/basic';
import { JwtScopesModule } from './apps/jwt-scopes';
import { Or3Module } from './apps/or3';
import { PublicRouteModule } from './apps/public-route';
import { API_KEY, basicAuthorization, signAccessToken } from './fixtures';
import { median } from './stats';

// Micro-benchmarks: what compiling 1,000 routes costs at start-up, and what each scheme's extract() costs per call.
// `node .bench-dist/bench/micro.js`; `npm run bench` runs it first.

export interface MicroResults {
  compile: {
    routes: number;
    /** Median time to construct a fresh SecurityRegistry, which compiles every route. */
    compileAllMs: number;
    perRouteUs: number;
    /** Median start-up (createApplicationContext) of the 1,000-route context with the module, and without it. */
    startUpWithModuleMs: number;
    startUpWithoutModuleMs: number;
  };
  extraction: { scheme: string; nsPerCall: number; netNs: number }[];
  /** SecurityGuard.canActivate per request: all of it, the app's validator, and the rest (the library). */
  guard: { scenario: string; guardNs: number; validatorNs: number; libraryNs: number }[];
  /**
   * A verified-token cache hit (the same token again) with the cache holding `entries` tokens, against the
   * same hit with one entry, measured twice (first and last) for the A/A spread.
   */
  cache: { entries: number; nsPerHit: number; ratio: number }[];
  cacheSpread: number;
  /**
   * One signature check of each algorithm a DPoP proof may use (node:crypto, a 300-byte signing input, the key
   * object built once): the least a request with a fresh proof adds to the same request with a cached bearer token.
   */
  proofSignature: { algorithm: string; usPerCheck: number }[];
}

// --- Compiling 1,000 routes ------------------------------------------------------------------

const CONTROLLERS = 100;
const HANDLERS = 10;

const apiKey = new APIKeyHeader({ name: 'X-API-Key' });
const basic = new HTTPBasic();
const bearer = new HTTPBearer();
const oauth2 = new OAuth2PasswordBearer({ tokenUrl: 'token', scopes: { me: 'Me.', items: 'Items.', admin: 'Admin.' } });

@Injectable()
class AcceptAll implements SecurityValidator {
  validate(credentials: unknown) {
    return { credentials, scopes: ['me', 'items', 'admin'] };
  }
}

/** Applies a method decorator to a handler defined at run time. */
function decorate(prototype: object, name: string, decorators: MethodDecorator[]): void {
  for (const decorator of decorators.reverse()) {
    decorator(prototype, name, Object.getOwnPropertyDescriptor(prototype, name)!);
  }
}

/** 100 controllers × 10 handlers, with requirements mixed on every level as real apps mix them. */
function makeControllers(): Type[] {
  const controllerRequirements: ClassDecorator[][] = [
    [Security(apiKey)],
    [Security(oauth2, ['me'])],
    [SecurityAll({ scheme: apiKey }, { scheme: basic })],
    [], // module defaults only
  ];
  const handlerRequirements: MethodDecorator[][] = [
    [],
    [Security(oauth2, ['items'])],
    [Security(basic), Security(bearer)],
    [SkipSecurity()],
    [SecurityAll({ scheme: apiKey }, { scheme: oauth2, scopes: ['admin'] })],
  ];
  return Array.from({ length: CONTROLLERS }, (_, c) => {
    const controller = class {} as Type;
    Object.defineProperty(controller, 'name', { value: `Controller${c}` });
    for (let h = 0; h < HANDLERS; h++) {
      const name = `handler${h}`;
      Object.defineProperty(controller.prototype, name, { value: () => h, writable: true, configurable: true });
      decorate(controller.prototype, name, [Get(name), ...handlerRequirements[(c + h) % handlerRequirements.length]]);
    }
    for (const decorator of [Controller(`c${c}`), ...controllerRequirements[c % controllerRequirements.length]]) decorator(controller);
    return controller;
  });
}

async function measureCompile(): Promise<MicroResults['compile']> {
  const controllers = makeControllers();
  const options: SecuritySchemesModuleOptions = {
    schemes: [
      { scheme: apiKey, validator: AcceptAll },
      { scheme: basic, validator: AcceptAll },
      { scheme: bearer, validator: AcceptAll },
      { scheme: oauth2, validator: AcceptAll },
    ],
    defaultSecurity: [{ scheme: oauth2, scopes: ['me'] }],
  };

  @Module({ imports: [SecuritySchemesModule.forRoot(options)], providers: [AcceptAll], controllers })
  class WithModule {}
  @Module({ controllers })
  class WithoutModule {}

  // Start-up of the whole context (scan, injection, init), with and without the module, alternated.
  const startUp = async (module: Type) => {
    const start = process.hrtime.bigint();
    const app = await NestFactory.createApplicationContext(module, { logger: false });
    return { app, ms: Number(process.hrtime.bigint() - start) / 1e6 };
  };
  const withTimes: number[] = [];
  const withoutTimes: number[] = [];
  for (let i = 0; i < 5; i++) {
    const without = await startUp(WithoutModule);
    withoutTimes.push(without.ms);
    await without.app.close();
    const withModule = await startUp(WithModule);
    withTimes.push(withModule.ms);
    await withModule.app.close();
  }
  const { app } = await startUp(WithModule);
  const routes = app.get(SecurityRegistry).compiledRoutes().length;
  if (routes !== CONTROLLERS * HANDLERS) throw new Error(`Expected ${CONTROLLERS * HANDLERS} compiled routes, got ${routes}.`);

  // A fresh registry each time (built by Nest in the module's own context): it compiles every route when it
  // is constructed (so that a createDocument before init() sees them), so the construction is what is timed.
  const securityModuleRef = [...app.get(ModulesContainer).values()].find((m) => m.metatype === SecuritySchemesModule);
  const moduleRef = securityModuleRef!.getProviderByKey<ModuleRef>(ModuleRef).instance;
  const times: number[] = [];
  for (let i = 0; i < 25; i++) {
    const start = process.hrtime.bigint();
    const registry = await moduleRef.create(SecurityRegistry);
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
    if (registry.compiledRoutes().length !== routes) throw new Error('The fresh registry did not compile every route.');
  }
  await app.close();
  const compileAllMs = median(times.slice(5)); // the first runs warm the JIT up
  return {
    routes,
    compileAllMs,
    perRouteUs: (compileAllMs * 1000) / routes,
    startUpWithModuleMs: median(withTimes),
    startUpWithoutModuleMs: median(withoutTimes),
  };
}

// --- Extraction per call ---------------------------------------------------------------------

/** What every scheme sees: the headers of a browser-like request plus its credentials. */
function requestWith(extra: Record<string, string>, query: Record<string, string> = {}): SecurityRequest {
  return {
    headers: {
      host: '127.0.0.1:3000',
      'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36',
      accept: 'application/json',
      'accept-encoding': 'gzip, deflate, br',
      'accept-language': 'en-US,en;q=0.9',
      connection: 'keep-alive',
      ...extra,
    },
    query,
  };
}

/** A scheme that reads nothing: the cost of the call and the loop alone. */
const noop = { extract: (_request: SecurityRequest): unknown => API_KEY } as Pick<SecurityScheme, 'extract'>;

/** ns per extract() call, median of several timed batches. Each scheme gets its own loop so call sites stay monomorphic. */
function timeExtract(scheme: Pick<SecurityScheme, 'extract'>, request: SecurityRequest): number {
  const loop = new Function(
    'scheme',
    'request',
    'n',
    'let found = 0; for (let i = 0; i < n; i++) { if (scheme.extract(request) !== null) found++; } return found;',
  ) as (scheme: unknown, request: SecurityRequest, n: number) => number;
  if (loop(scheme, request, 1) !== 1) throw new Error('extract() found no credentials in the benchmark request.');
  loop(scheme, request, 200_000); // warm-up: let the JIT optimize the loop
  let n = 50_000; // doubled until one batch takes 20 ms
  for (let ms = 0; ms < 20; ) {
    n *= 2;
    const start = process.hrtime.bigint();
    loop(scheme, request, n);
    ms = Number(process.hrtime.bigint() - start) / 1e6;
  }
  const samples: number[] = [];
  for (let i = 0; i < 7; i++) {
    const start = process.hrtime.bigint();
    loop(scheme, request, n);
    samples.push(Number(process.hrtime.bigint() - start) / n);
  }
  return median(samples);
}

function measureExtraction(): MicroResults['extraction'] {
  const token = signAccessToken();
  const bearerHeader = { authorization: `Bearer ${token}` };
  const digest =
    'Digest username="johndoe", realm="bench", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", uri="/users/me/items/", ' +
    'response="6629fae49393a05397450978507c4ef1", qop=auth, nc=00000001, cnonce="0a4f113b"';
  const cases: [string, Pick<SecurityScheme, 'extract'>, SecurityRequest][] = [
    ['no-op (baseline)', noop, requestWith({})],
    ['APIKeyHeader', new APIKeyHeader({ name: 'X-API-Key' }), requestWith({ 'x-api-key': API_KEY })],
    ['APIKeyQuery', new APIKeyQuery({ name: 'api_key' }), requestWith({}, { page: '2', api_key: API_KEY })],
    ['APIKeyCookie', new APIKeyCookie({ name: 'session' }), requestWith({ cookie: `theme=dark; lang=en; session=${API_KEY}; _ga=GA1.2.3` })],
    ['HTTPBasic', new HTTPBasic(), requestWith({ authorization: basicAuthorization() })],
    ['HTTPBearer', new HTTPBearer(), requestWith(bearerHeader)],
    ['HTTPDigest', new HTTPDigest(), requestWith({ authorization: digest })],
    ['OAuth2', new OAuth2(), requestWith(bearerHeader)],
    ['OAuth2PasswordBearer', new OAuth2PasswordBearer({ tokenUrl: 'token' }), requestWith(bearerHeader)],
    [
      'OAuth2AuthorizationCodeBearer',
      new OAuth2AuthorizationCodeBearer({ authorizationUrl: 'authorize', tokenUrl: 'token' }),
      requestWith(bearerHeader),
    ],
    ['OpenIdConnect', new OpenIdConnect({ openIdConnectUrl: '/.well-known/openid-configuration' }), requestWith(bearerHeader)],
  ];
  const timed = cases.map(([scheme, instance, request]) => ({ scheme, nsPerCall: timeExtract(instance, request) }));
  const baseline = timed[0].nsPerCall;
  return timed.map((entry) => ({ ...entry, netNs: entry.nsPerCall - baseline }));
}

// --- The guard per request ------------------------------------------------------------------

/** A minimal HTTP ExecutionContext, as Nest builds one per request. */
function httpContext(controller: Type, handler: Function, request: object): ExecutionContext {
  const args = [request, {}, () => undefined];
  const http = { getRequest: () => request, getResponse: () => args[1], getNext: () => args[2] };
  return {
    getClass: () => controller,
    getHandler: () => handler,
    getType: () => 'http',
    getArgs: () => args,
    getArgByIndex: (index: number) => args[index],
    switchToHttp: () => http,
    switchToRpc: () => {
      throw new Error('http only');
    },
    switchToWs: () => {
      throw new Error('http only');
    },
  } as unknown as ExecutionContext;
}

/** ns per call of an async-capable function, median of timed batches (a promise result is awaited). */
async function timeCalls(call: () => unknown, size = 20_000): Promise<number> {
  const batch = async (n: number) => {
    const start = process.hrtime.bigint();
    for (let i = 0; i < n; i++) {
      const result = call();
      if (result !== true && result !== null && typeof (result as Promise<unknown>)?.then === 'function') await result;
    }
    return Number(process.hrtime.bigint() - start) / n;
  };
  await batch(size);
  const samples: number[] = [];
  for (let i = 0; i < 7; i++) samples.push(await batch(size));
  return median(samples);
}

/**
 * SecurityGuard.canActivate on each scenario app's route, with the app's own validator, against a guard that
 * only returns true. `validatorNs` is the validator alone; what is left is the library's own work.
 */
async function measureGuards(): Promise<MicroResults['guard']> {
  const token = signAccessToken();
  const cases: [string, Type, Record<string, string>][] = [
    ['1b route without requirement', PublicRouteModule, {}],
    ['2 APIKeyHeader', ApiKeyModule, { 'x-api-key': API_KEY }],
    ['3 HTTPBasic', BasicModule, { authorization: basicAuthorization() }],
    ['4 OAuth2 bearer JWT + scopes', JwtScopesModule, { authorization: `Bearer ${token}` }],
    ['5 3 alternatives, last succeeds', Or3Module, { 'x-api-key': API_KEY }],
  ];
  const results: MicroResults['guard'] = [];
  for (const [scenario, module, headers] of cases) {
    const app = await NestFactory.createApplicationContext(module, { logger: false });
    const controller = app.get(DiscoveryService).getControllers()[0].metatype as Type;
    const handler = controller.prototype.items as Function;
    const guard = app.get(SecurityGuard);
    const route = app.get(SecurityRegistry).requirementFor(controller, handler);
    // Each call gets a fresh request, as each HTTP request does; the baseline pays for that too.
    const fresh = () => httpContext(controller, handler, { headers: { ...headers }, query: {} });
    if ((await guard.canActivate(fresh())) !== true) throw new Error(`${scenario}: the guard refused the benchmark request.`);
    const baselineNs = await timeCalls(() => fresh() && true);
    const guardNs = await timeCalls(() => guard.canActivate(fresh()));
    // The validator of the scheme that succeeds (the last alternative), on the credentials it receives.
    const last = route.alternatives.at(-1)?.schemes[0];
    let validatorNs = 0;
    if (last?.binding.validator) {
      const { validator } = last.binding;
      const credentials = last.scheme.extract({ headers, query: {} });
      const context = fresh();
      validatorNs = await timeCalls(() => validator.validate(credentials, last.scopes, context) && true);
    }
    await app.close();
    const netNs = guardNs - baselineNs;
    results.push({ scenario, guardNs: netNs, validatorNs, libraryNs: netNs - validatorNs });
  }
  return results;
}

// --- The verified-token cache: a hit costs the same whatever the cache holds -----------------------

/** ns per `get` of one token, the cache holding `entries` tokens (the hit token the most recent). */
async function timeCacheHit(entries: number): Promise<number> {
  const cache = new VerifiedTokenCache<{ sub: string }>({ max: entries, maxAgeSeconds: 3600 });
  const exp = Date.now() / 1000 + 3600;
  for (let i = 0; i < entries; i++) cache.set(`token-${i}`, { sub: String(i) }, exp);
  const hot = `token-${entries - 1}`;
  if (cache.get(hot) === undefined) throw new Error('the benchmark token is not cached');
  return timeCalls(() => cache.get(hot));
}

async function measureCacheHits(): Promise<Pick<MicroResults, 'cache' | 'cacheSpread'>> {
  const first = await timeCacheHit(1);
  const sizes = [1_000, 10_000, 100_000];
  const timed: [number, number][] = [];
  for (const entries of sizes) timed.push([entries, await timeCacheHit(entries)]);
  const last = await timeCacheHit(1);
  const baseline = (first + last) / 2;
  return {
    cache: [[1, baseline] as [number, number], ...timed].map(([entries, nsPerHit]) => ({ entries, nsPerHit, ratio: baseline / nsPerHit })),
    cacheSpread: Math.abs(first - last) / baseline,
  };
}

// --- What a DPoP proof's signature costs ---------------------------------------------------------

async function measureProofSignatures(): Promise<MicroResults['proofSignature']> {
  const input = Buffer.alloc(300, 'x');
  const pss = { padding: crypto.constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 };
  const cases: [string, crypto.KeyPairKeyObjectResult, string | null, object][] = [
    ['ES256', crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' }), 'sha256', { dsaEncoding: 'ieee-p1363' }],
    ['RS256', crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }), 'sha256', {}],
    ['PS256', crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }), 'sha256', pss],
    ['EdDSA', crypto.generateKeyPairSync('ed25519'), null, {}],
  ];
  const results: MicroResults['proofSignature'] = [];
  for (const [algorithm, { privateKey, publicKey }, hash, options] of cases) {
    const signature = crypto.sign(hash, input, { key: privateKey, ...options });
    const key = { key: publicKey, ...options };
    if (!crypto.verify(hash, input, key, signature)) throw new Error(`${algorithm}: the benchmark signature does not verify`);
    results.push({ algorithm, usPerCheck: (await timeCalls(() => crypto.verify(hash, input, key, signature), 1_000)) / 1000 });
  }
  return results;
}

// ---------------------------------------------------------------------------------------------

function print({ compile, extraction, guard, cache, cacheSpread, proofSignature }: MicroResults): void {
  console.log('\nMicro-benchmarks');
  console.log(
    `  compile ${compile.routes} routes (a fresh SecurityRegistry, which compiles them and writes their Swagger metadata): ${compile.compileAllMs.toFixed(1)} ms = ` +
      `${compile.perRouteUs.toFixed(1)} µs per route`,
  );
  console.log(
    `  start-up of that application context: ${compile.startUpWithModuleMs.toFixed(0)} ms with the module, ` +
      `${compile.startUpWithoutModuleMs.toFixed(0)} ms without`,
  );
  console.log('  extract(request) per call (net = minus the no-op baseline):');
  const width = Math.max(...extraction.map((e) => e.scheme.length));
  for (const { scheme, nsPerCall, netNs } of extraction) {
    console.log(`    ${scheme.padEnd(width)}  ${nsPerCall.toFixed(1).padStart(7)} ns   net ${netNs.toFixed(1).padStart(7)} ns`);
  }
  console.log('  SecurityGuard.canActivate per request (net of building the request), and how much of it is the app\'s validator:');
  const guardWidth = Math.max(...guard.map((g) => g.scenario.length));
  for (const { scenario, guardNs, validatorNs, libraryNs } of guard) {
    console.log(
      `    ${scenario.padEnd(guardWidth)}  ${(guardNs / 1000).toFixed(2).padStart(6)} µs = validator ${(validatorNs / 1000).toFixed(2).padStart(6)} µs` +
        ` + library ${(libraryNs / 1000).toFixed(2).padStart(5)} µs`,
    );
  }
  console.log(
    `  VerifiedTokenCache.get, a hit, by the number of tokens cached (ratio = the one-entry hit's time / this one's; A/A ${(cacheSpread * 100).toFixed(1)}%):`,
  );
  for (const { entries, nsPerHit, ratio } of cache) {
    // Met only when the A/A spread is below the goal's margin (10%).
    const verdict = entries === 1 ? '' : ratio < 0.9 ? '  FAIL (>= 0.90x)' : cacheSpread < 0.1 ? '  PASS (>= 0.90x)' : '  INCONCLUSIVE (A/A spread over the margin)';
    console.log(`    ${entries.toLocaleString('en-US').padStart(7)} cached  ${nsPerHit.toFixed(0).padStart(6)} ns  ${ratio.toFixed(2)}x${verdict}`);
  }
  console.log('  one DPoP proof signature check (what a request with a fresh proof adds, at least):');
  for (const { algorithm, usPerCheck } of proofSignature) console.log(`    ${algorithm}  ${usPerCheck.toFixed(1).padStart(6)} µs`);
}

async function main(): Promise<void> {
  const results: MicroResults = {
    compile: await measureCompile(),
    extraction: measureExtraction(),
    guard: await measureGuards(),
    ...(await measureCacheHits()),
    proofSignature: await measureProofSignatures(),
  };
  print(results);
  process.send?.({ micro: results });
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
