import { createHmac, createPrivateKey, createPublicKey, createSecretKey, generateKeyPairSync, verify as cryptoVerify, timingSafeEqual, type KeyObject } from 'node:crypto';
import jwt from 'jsonwebtoken';

// Verifying one JWT signature (RS256, ES256, HS256) with each candidate: jsonwebtoken with KeyObjects,
// jose (ESM-only; loaded with require(), as Node 20.19+ allows), and Node's crypto.verify on the
// JWS signing input (what the library's JwtValidator does). Keys are built once, outside the loop.
// `npx ts-node bench/jwt-micro.ts [--iterations=N]`

const iterations = Number(process.argv.find((a) => a.startsWith('--iterations='))?.split('=')[1] ?? 3000);

function time(label: string, fn: () => unknown): number {
  for (let i = 0; i < Math.min(300, iterations); i++) fn();
  const start = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) fn();
  const us = Number(process.hrtime.bigint() - start) / 1000 / iterations;
  console.log(`${label.padEnd(44)} ${us.toFixed(1).padStart(8)} µs/verify`);
  return us;
}

async function timeAsync(label: string, fn: () => Promise<unknown>): Promise<number> {
  for (let i = 0; i < Math.min(300, iterations); i++) await fn();
  const start = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) await fn();
  const us = Number(process.hrtime.bigint() - start) / 1000 / iterations;
  console.log(`${label.padEnd(44)} ${us.toFixed(1).padStart(8)} µs/verify`);
  return us;
}

/** Node's crypto on the JWS compact form: split, verify the signature, parse the payload. */
function nodeVerify(token: string, alg: string, key: KeyObject): unknown {
  const dot1 = token.indexOf('.');
  const dot2 = token.indexOf('.', dot1 + 1);
  const header = JSON.parse(Buffer.from(token.slice(0, dot1), 'base64url').toString());
  if (header.alg !== alg) throw new Error('alg');
  const input = Buffer.from(token.slice(0, dot2));
  const signature = Buffer.from(token.slice(dot2 + 1), 'base64url');
  let ok: boolean;
  if (alg === 'HS256') {
    const expected = createHmac('sha256', key).update(input).digest();
    ok = expected.length === signature.length && timingSafeEqual(expected, signature);
  } else if (alg === 'ES256') {
    ok = cryptoVerify('sha256', input, { key, dsaEncoding: 'ieee-p1363' }, signature);
  } else {
    ok = cryptoVerify('sha256', input, key, signature);
  }
  if (!ok) throw new Error('signature');
  return JSON.parse(Buffer.from(token.slice(dot1 + 1, dot2), 'base64url').toString());
}

async function main(): Promise<void> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const jose = require('jose') as typeof import('jose');
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const secret = createSecretKey(Buffer.from('a-64-character-secret-for-the-micro-benchmark-of-jwt-verifying!!'));
  const claims = { sub: 'alice', scope: 'read write', iss: 'https://idp.example', aud: 'api', exp: Math.floor(Date.now() / 1000) + 3600 };
  const cases = [
    { alg: 'RS256', sign: createPrivateKey(rsa.privateKey.export({ format: 'pem', type: 'pkcs8' })), verify: createPublicKey(rsa.publicKey.export({ format: 'pem', type: 'spki' })) },
    { alg: 'ES256', sign: ec.privateKey, verify: ec.publicKey },
    { alg: 'HS256', sign: secret, verify: secret },
  ] as const;
  const results: Record<string, Record<string, number>> = {};
  for (const { alg, sign, verify } of cases) {
    const token = jwt.sign(claims, sign, { algorithm: alg as jwt.Algorithm });
    results[alg] = {
      jsonwebtoken: time(`${alg} jsonwebtoken.verify (KeyObject)`, () => jwt.verify(token, verify, { algorithms: [alg as jwt.Algorithm] })),
      jose: await timeAsync(`${alg} jose.jwtVerify (KeyObject)`, () => jose.jwtVerify(token, verify, { algorithms: [alg] })),
      node: time(`${alg} node:crypto verify on the JWS`, () => nodeVerify(token, alg, verify)),
    };
  }
  console.log(JSON.stringify(results));
}

void main();
