import type { ExecutionContext } from '@nestjs/common';
import * as crypto from 'node:crypto';
import { INVALID_TOKEN_CHALLENGE } from '../bearer-token.js';
import type { Grant } from '../../core/grant.js';
import type { AlgorithmSpec } from '../jwt/algorithms.js';
import { InMemoryRevocationStore } from '../../revocation/in-memory-revocation-store.js';
import { RevocationStore } from '../../revocation/revocation-store.js';
import type { ValidatorRefusal } from '../../core/security-options.interface.js';
import { SecurityHttpException, type ResponseHeaders } from '../../core/security.exception.js';
import { dpopAlgorithmSpecs } from './dpop-algorithms.js';
import { DPoPChallenges, type DPoPErrorCode } from './dpop-challenges.js';
import { DPoPNonces } from './dpop-nonces.js';
import type { DPoPMode, DPoPOptions } from './dpop-options.interface.js';
import { DPoPProofError } from './dpop-proof-error.js';
import { DPoPRequestUrl, type UrlRequest } from './dpop-request-url.js';
import { presentedToken } from './presented-token.js';
import { ProofKeys } from './proof-keys.js';
import { checkDPoPSignature, readDPoPProof, type ReadDPoPProof, type VerifiedDPoPProof } from './verify-dpop-proof.js';

const NOT_VALIDATED = 'Could not validate credentials';

/** A token as this request presented it, with its proof read (form, claims, nonce) when it came with DPoP. */
interface Presentation {
  readonly token: string;
  /** Undefined for a token presented as Bearer. Its signature is checked once the token is known to be bound to its key. */
  readonly proof: ReadDPoPProof | undefined;
  /** The proof's nonce is the previous one: send the current one with the answer. */
  readonly staleNonce: boolean;
}

type Request = UrlRequest & { method?: string };

/**
 * DPoP (RFC 9449) for a token validator (`JwtValidator`, `IntrospectionValidator`, `MultiIssuerValidator`): reads how
 * the token was presented; for a `DPoP` presentation, checks the proof's form and claims, then (the token verified by
 * the validator) that the token's `cnf.jkt` is the proof's key, then the proof's signature (the key imported once
 * per client key), and uses the proof's `jti` once through the revocation store; answers refusals with the `DPoP`
 * (and, in `allowed` mode, `Bearer`) challenges. The expensive checks come last: a request without a token bound to
 * the proof's key costs no key import and no signature check. The validator's own verification and its
 * verified-token cache are unchanged: they run once per token, the proof once per request.
 */
export class DPoPCheck {
  readonly mode: DPoPMode;
  /**
   * The scheme's challenges, given to it at start-up (`scheme.acceptDPoP`): `missing` for a request without
   * credentials, and DPoP's form of its answers after the token was accepted (a missing scope...).
   */
  readonly challenges: DPoPChallenges;
  private readonly algorithms: ReadonlyMap<string, AlgorithmSpec>;
  private readonly keys = new ProofKeys();
  private readonly requestUrl: DPoPRequestUrl;
  private readonly nonces: DPoPNonces | undefined;
  private readonly iatWindowSeconds: number;
  private readonly clockTolerance: number;
  private readonly ownStore: boolean;
  private store: RevocationStore | undefined;

  constructor(owner: string, options: DPoPOptions) {
    if (!options || typeof options !== 'object') throw new Error(`${owner}: dpop must be an object, e.g. { mode: 'required' }.`);
    if (options.mode !== 'allowed' && options.mode !== 'required') {
      throw new Error(`${owner}: dpop.mode must be 'allowed' (Bearer or DPoP) or 'required' (DPoP only).`);
    }
    this.mode = options.mode;
    this.algorithms = dpopAlgorithmSpecs(owner, options.algorithms);
    this.challenges = new DPoPChallenges(this.mode, this.algorithms.keys());
    this.requestUrl = new DPoPRequestUrl(owner, options);
    this.iatWindowSeconds = seconds(owner, 'iatWindowSeconds', options.iatWindowSeconds, 60, 1);
    this.clockTolerance = seconds(owner, 'clockTolerance', options.clockTolerance, 5, 0);
    this.nonces = options.nonce === undefined ? undefined : new DPoPNonces(owner, options.nonce);
    if (options.replay !== undefined && !(options.replay instanceof RevocationStore)) {
      throw new Error(`${owner}: dpop.replay must be a RevocationStore (InMemoryRevocationStore, RedisRevocationStore...).`);
    }
    this.ownStore = options.replay !== undefined;
    this.store = options.replay;
  }

  /** Takes the module's store for the proofs' `jti`s, unless `dpop.replay` named one. */
  useModuleStore(store: RevocationStore): void {
    if (!this.ownStore) this.store = store;
  }

  /**
   * One request: `verified(token)` is the validator's verification of the token (a cached grant, or one verified
   * now; it throws or rejects with its refusal), `grantOf(verified)` its per-request part (revocation check,
   * `toPrincipal`). Throws (or rejects with) the refusal, with DPoP's challenges.
   */
  validate<TGrant extends Grant<object>, TResult>(
    credentials: unknown,
    context: ExecutionContext,
    verified: (token: string) => TGrant | Promise<TGrant>,
    grantOf: (verified: TGrant) => TResult | Promise<TResult>,
  ): TResult | Promise<TResult> {
    const presentation = this.present(credentials, context);
    const dpop = presentation.proof !== undefined;
    const readdress = (error: unknown): never => {
      throw this.readdressed(error, dpop);
    };
    let grant: TGrant | Promise<TGrant>;
    try {
      grant = verified(presentation.token);
    } catch (error) {
      return readdress(error);
    }
    if (grant instanceof Promise) return grant.then((value) => this.confirm(presentation, value, context, grantOf), readdress);
    return this.confirm(presentation, grant, context, grantOf);
  }

  /** The token and, for a DPoP presentation, its proof read (its form and claims checked, and its nonce). Throws the refusal. */
  private present(credentials: unknown, context: ExecutionContext): Presentation {
    const { scheme, token } = presentedToken(credentials);
    if (scheme === 'other') {
      // Another scheme's credentials (a user's `Basic` password...): never looked at further (RFC 6750 §3.1).
      throw new SecurityHttpException(401, 'Not authenticated', this.header(this.challenges.missing), 'credentials_missing', 'not a Bearer or DPoP Authorization header');
    }
    const dpop = scheme === 'dpop';
    if (token === undefined) throw new SecurityHttpException(401, NOT_VALIDATED, this.header(this.challenges.refused('invalid_token', dpop)), 'malformed');
    if (!dpop) {
      if (this.mode === 'required') throw this.refusal(new DPoPProofError('dpop_required', 'a token presented as Bearer where DPoP is required'), false);
      return { token, proof: undefined, staleNonce: false };
    }
    try {
      const request = context.getType() === 'http' ? context.switchToHttp().getRequest<Request>() : undefined;
      if (request === undefined) throw new DPoPProofError('dpop_proof_invalid', 'DPoP proofs are checked on HTTP requests only');
      const header = request.headers.dpop;
      if (typeof header !== 'string' || header === '') throw new DPoPProofError('dpop_proof_invalid', 'no DPoP header');
      if (header.includes(',')) throw new DPoPProofError('dpop_proof_invalid', 'more than one DPoP header'); // Node joins repeated headers with ", "
      const proof = readDPoPProof(header, {
        method: String(request.method),
        url: this.requestUrl.of(request),
        accessToken: token,
        algorithms: this.algorithms,
        keys: this.keys,
        iatWindowSeconds: this.iatWindowSeconds,
        clockTolerance: this.clockTolerance,
      });
      let staleNonce = false;
      if (this.nonces !== undefined) {
        if (proof.nonce === undefined) throw new DPoPProofError('dpop_nonce_required', 'the proof has no nonce');
        const state = this.nonces.check(proof.nonce);
        if (state === undefined) throw new DPoPProofError('dpop_nonce_required', 'the proof has an unknown or expired nonce');
        staleNonce = state === 'previous';
      }
      return { token, proof, staleNonce };
    } catch (error) {
      throw this.readdressed(error, true);
    }
  }

  /** After the token is verified: its binding to the proof's key, the proof's signature, its single use, then the validator's grant. */
  private confirm<TGrant extends Grant<object>, TResult>(
    presentation: Presentation,
    grant: TGrant,
    context: ExecutionContext,
    grantOf: (verified: TGrant) => TResult | Promise<TResult>,
  ): TResult | Promise<TResult> {
    const { proof } = presentation;
    const cnf = (grant.claims as { cnf?: unknown } | undefined)?.cnf;
    if (proof === undefined) {
      // A sender-constrained token is never accepted as a bearer token (RFC 9449 §7.2): its thief would need no key.
      if (cnf !== undefined) throw this.refusal(new DPoPProofError('dpop_required', 'a sender-constrained token (cnf) presented as Bearer'), false);
      return this.granted(grant, grantOf, false);
    }
    const jkt = cnf !== null && typeof cnf === 'object' ? (cnf as { jkt?: unknown }).jkt : undefined;
    if (typeof jkt !== 'string') throw this.refusal(new DPoPProofError('dpop_binding_mismatch', 'the token is not bound to a DPoP key (no cnf.jkt)'), true);
    if (jkt !== proof.jkt) throw this.refusal(new DPoPProofError('dpop_binding_mismatch', "the proof's key is not the one the token is bound to"), true);
    let verified: VerifiedDPoPProof;
    try {
      verified = checkDPoPSignature(proof, this.keys);
    } catch (error) {
      throw this.readdressed(error, true);
    }
    const first = this.useOnce(verified);
    const then = (unused: boolean): TResult | Promise<TResult> => {
      if (!unused) throw this.refusal(new DPoPProofError('dpop_proof_replayed', 'the proof was used before (its jti)'), true);
      if (presentation.staleNonce) sendHeader(context, 'DPoP-Nonce', this.nonces!.current());
      return this.granted(grant, grantOf, true);
    };
    return first instanceof Promise ? first.then(then) : then(first);
  }

  private granted<TGrant, TResult>(grant: TGrant, grantOf: (verified: TGrant) => TResult | Promise<TResult>, dpop: boolean): TResult | Promise<TResult> {
    let result: TResult | Promise<TResult>;
    try {
      result = grantOf(grant);
    } catch (error) {
      throw this.readdressed(error, dpop);
    }
    return result instanceof Promise ? result.catch((error: unknown) => Promise.reject(this.readdressed(error, dpop))) : result;
  }

  /**
   * Marks the proof's `jti` used, for this key, until the proof is too old to be accepted anyway. Synchronous
   * with the in-memory store; one round trip with Redis (whose outage is a 503 with `Retry-After`).
   */
  private useOnce(proof: VerifiedDPoPProof): boolean | Promise<boolean> {
    const id = `dpop-jti:${sha256(`${proof.jkt}.${proof.jti}`)}`;
    const expiresAt = Math.ceil(proof.iat + this.iatWindowSeconds) + 1;
    const store = (this.store ??= new InMemoryRevocationStore()); // a validator used outside the module keeps its own
    return store instanceof InMemoryRevocationStore ? store.consumeOnceNow(id, expiresAt) : store.consumeOnce(id, expiresAt);
  }

  /**
   * The 401s this check answers besides the scheme's challenge, for the OpenAPI document: the token refused
   * (with the challenge of the scheme the request used), the proof refused, and a nonce asked for.
   */
  documentedRefusals(): ValidatorRefusal[] {
    const refused = (code: DPoPErrorCode, dpop: boolean, extra: ResponseHeaders = {}) =>
      new SecurityHttpException(401, NOT_VALIDATED, { ...this.header(this.challenges.refused(code, dpop)), ...extra });
    const refusals: ValidatorRefusal[] = [
      { error: refused('invalid_token', true), when: 'the DPoP-bound token is invalid, expired, revoked or not bound to the proof\'s key' },
      { error: refused('invalid_dpop_proof', true), when: 'the DPoP proof is missing, malformed, replayed, too old or does not match the request' },
    ];
    if (this.mode === 'allowed') refusals.push({ error: refused('invalid_token', false), when: 'the Bearer token is invalid, expired, revoked or DPoP-bound' });
    if (this.nonces) refusals.push({ error: refused('use_dpop_nonce', true, { 'DPoP-Nonce': '<nonce>' }), when: 'the proof does not carry the server\'s current nonce (sent in DPoP-Nonce)' });
    return refusals;
  }

  /** A refusal with DPoP's challenges: DPoP errors, and the validator's own `invalid_token` 401s; others unchanged. */
  private readdressed(error: unknown, dpop: boolean): unknown {
    if (error instanceof DPoPProofError) return this.refusal(error, dpop);
    if (!(error instanceof SecurityHttpException) || error.getStatus() !== 401 || error.headers['WWW-Authenticate'] !== INVALID_TOKEN_CHALLENGE) return error;
    const body = error.getResponse() as { message?: unknown };
    const message = typeof body?.message === 'string' ? body.message : NOT_VALIDATED;
    const headers = { ...error.headers, 'WWW-Authenticate': this.challenges.refused('invalid_token', dpop) };
    return new SecurityHttpException(401, message, headers, error.reason, error.detail);
  }

  private refusal(error: DPoPProofError, dpop: boolean): SecurityHttpException {
    switch (error.reason) {
      case 'dpop_required':
        if (this.mode === 'required') return new SecurityHttpException(401, 'Not authenticated', this.header(this.challenges.missing), error.reason, error.message);
        return this.invalid('invalid_token', false, error);
      case 'dpop_nonce_required':
        return this.invalid('use_dpop_nonce', true, error, { 'DPoP-Nonce': this.nonces!.current() });
      case 'dpop_binding_mismatch':
        return this.invalid('invalid_token', true, error);
      default:
        return this.invalid('invalid_dpop_proof', dpop, error);
    }
  }

  private invalid(code: DPoPErrorCode, dpop: boolean, error: DPoPProofError, extra: ResponseHeaders = {}): SecurityHttpException {
    return new SecurityHttpException(401, NOT_VALIDATED, { ...this.header(this.challenges.refused(code, dpop)), ...extra }, error.reason, error.message);
  }

  private header(challenge: string): ResponseHeaders {
    return { 'WWW-Authenticate': challenge };
  }
}

/** Sets a header on the HTTP response (Express and Fastify both have `header(name, value)`). */
function sendHeader(context: ExecutionContext, name: string, value: string): void {
  const response = context.switchToHttp().getResponse<{ header?: (name: string, value: string) => unknown; setHeader?: (name: string, value: string) => unknown }>();
  if (typeof response?.header === 'function') response.header(name, value);
  else response?.setHeader?.(name, value);
}

const sha256: (value: string) => string =
  typeof crypto.hash === 'function'
    ? (value) => crypto.hash('sha256', value, 'base64url')
    : (value) => crypto.createHash('sha256').update(value).digest('base64url');

function seconds(owner: string, name: string, value: number | undefined, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !(value >= min) || !Number.isFinite(value)) throw new Error(`${owner}: dpop.${name} must be a number of seconds >= ${min}.`);
  return value;
}
