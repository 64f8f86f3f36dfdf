import type { RefusalReason } from '../../core/refusal-reason.js';

/** A refused token: why (`reason`, for logs and the `onRefusal` hook) and a short description; never contains the token. */
export class InvalidTokenError extends Error {
  override readonly name = 'InvalidTokenError';
  constructor(
    readonly reason: RefusalReason,
    message: string,
  ) {
    super(message);
  }
}

/** The parts of a compact JWS, decoded but not yet verified. */
export interface DecodedJws {
  readonly header: Readonly<Record<string, unknown>>;
  readonly payload: Readonly<Record<string, unknown>>;
  /** `base64url(header).base64url(payload)`, the signed bytes. */
  readonly signingInput: Buffer;
  readonly signature: Buffer;
}

const BASE64URL = /^[A-Za-z0-9_-]+$/;

/**
 * Splits and decodes a compact JWS (RFC 7515). Only the header's `alg`, `kid`, `typ` and `crit` are
 * ever read; `jku`, `x5u`, `jwk` and `x5c` are ignored: keys come from the configuration only.
 */
export function decodeJws(token: string): DecodedJws {
  const first = token.indexOf('.');
  const second = token.indexOf('.', first + 1);
  if (first < 0 || second < 0 || token.indexOf('.', second + 1) >= 0) throw new InvalidTokenError('malformed', 'not a compact JWS');
  const headerPart = token.slice(0, first);
  const payloadPart = token.slice(first + 1, second);
  const signaturePart = token.slice(second + 1);
  if (!BASE64URL.test(headerPart) || !BASE64URL.test(payloadPart) || !BASE64URL.test(signaturePart)) {
    throw new InvalidTokenError('malformed', 'malformed base64url');
  }
  const header = parseObject(headerPart, 'header');
  if (header.crit !== undefined) throw new InvalidTokenError('malformed', 'unsupported critical header parameters');
  return {
    header,
    payload: parseObject(payloadPart, 'payload'),
    signingInput: Buffer.from(token.slice(0, second), 'ascii'),
    signature: Buffer.from(signaturePart, 'base64url'),
  };
}

function parseObject(part: string, what: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
  } catch {
    throw new InvalidTokenError('malformed', `${what} is not JSON`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new InvalidTokenError('malformed', `${what} is not a JSON object`);
  return value as Record<string, unknown>;
}
