import { createHmac, sign, type KeyObject } from 'node:crypto';

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** Seconds since the epoch, as in JWT claims. */
export const now = () => Math.floor(Date.now() / 1000);

/** A JWS signed as an attacker (or a test) would: any header, any payload, any key, HMAC keys as raw bytes. */
export function craftJws(header: Record<string, unknown>, payload: Record<string, unknown>, key?: KeyObject | Buffer): string {
  const input = `${b64(header)}.${b64(payload)}`;
  const alg = header.alg;
  let signature: Buffer;
  if (alg === 'none' || key === undefined) signature = Buffer.alloc(0);
  else if (typeof alg === 'string' && alg.startsWith('HS')) {
    signature = createHmac(`sha${alg.slice(2)}`, Buffer.isBuffer(key) ? key : key.export()).update(input).digest();
  } else if (alg === 'ES256') signature = sign('sha256', Buffer.from(input), { key: key as KeyObject, dsaEncoding: 'ieee-p1363' });
  else signature = sign(`sha${String(alg).slice(2)}`, Buffer.from(input), key as KeyObject);
  return `${input}.${signature.toString('base64url')}`;
}
