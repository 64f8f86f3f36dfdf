// A DPoP client's key and proofs made with `jose` (ESM-only: jest's CommonJS mode cannot load it), in a child
// process with an IPC channel, as a real client library would make them. It reports { ready: 'jose' }. Messages:
//   { id, cmd: 'key', name, alg }   makes the named key pair (once); replies { publicJwk, thumbprint } (jose's RFC 7638 thumbprint)
//   { id, cmd: 'proof', name, htm, htu, accessToken?, nonce?, iat?, jti? }   a DPoP proof signed with that key;
//                                   `ath` is the SHA-256 of accessToken when given (a resource request)
import { createHash, randomUUID } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, SignJWT } from 'jose';

const keys = new Map();

async function key(name, alg) {
  if (!keys.has(name)) {
    const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
    const publicJwk = await exportJWK(publicKey);
    keys.set(name, { alg, privateKey, publicJwk, thumbprint: await calculateJwkThumbprint(publicJwk) });
  }
  return keys.get(name);
}

async function proof({ name, htm, htu, accessToken, nonce, iat, jti }) {
  const { alg, privateKey, publicJwk } = keys.get(name);
  const payload = { htm, htu };
  if (accessToken !== undefined) payload.ath = createHash('sha256').update(accessToken).digest('base64url');
  if (nonce !== undefined) payload.nonce = nonce;
  return new SignJWT(payload)
    .setProtectedHeader({ alg, typ: 'dpop+jwt', jwk: publicJwk })
    .setIssuedAt(iat ?? Math.floor(Date.now() / 1000))
    .setJti(jti ?? randomUUID())
    .sign(privateKey);
}

process.on('message', async (message) => {
  const { id, cmd } = message;
  try {
    if (cmd === 'key') {
      const { publicJwk, thumbprint } = await key(message.name, message.alg);
      process.send({ id, value: { publicJwk, thumbprint } });
    } else if (cmd === 'proof') process.send({ id, value: await proof(message) });
  } catch (error) {
    process.send({ id, error: String(error?.stack ?? error) });
  }
});
process.on('disconnect', () => process.exit(0));
process.send({ ready: 'jose' });
