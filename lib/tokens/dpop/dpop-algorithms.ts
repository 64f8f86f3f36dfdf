import { verify } from 'node:crypto';
import { algorithmSpecs, type AlgorithmSpec } from '../jwt/algorithms.js';
import { DEFAULT_DPOP_ALGORITHMS, DPOP_ALGORITHMS, type DPoPAlgorithm } from './dpop-options.interface.js';

/** `Ed25519` (the fully-specified name of EdDSA over Ed25519, RFC 9864): an Ed25519 key only. */
const ED25519: AlgorithmSpec = {
  name: 'EdDSA',
  symmetric: false,
  accepts: (key) => key.type === 'public' && key.asymmetricKeyType === 'ed25519',
  verify: (input, signature, key) => verify(null, input, key, signature),
};

/**
 * The specs of the algorithms a DPoP proof may use, by name: asymmetric only (RFC 9449 §4.2). A symmetric
 * algorithm, `none` or an unknown name is a start-up error.
 */
export function dpopAlgorithmSpecs(owner: string, algorithms: readonly DPoPAlgorithm[] | undefined): Map<string, AlgorithmSpec> {
  const names = algorithms ?? DEFAULT_DPOP_ALGORITHMS;
  if (!Array.isArray(names) || names.length === 0) {
    throw new Error(`${owner}: dpop.algorithms must be a non-empty list of asymmetric algorithms, e.g. ['ES256', 'PS256'].`);
  }
  const specs = new Map<string, AlgorithmSpec>();
  for (const name of names) {
    if (!(DPOP_ALGORITHMS as readonly string[]).includes(name)) {
      throw new Error(
        `${owner}: dpop.algorithms: ${JSON.stringify(name)} is not an asymmetric JWS algorithm a DPoP proof may use ` +
          `(RFC 9449 §4.2). Use some of: ${DPOP_ALGORITHMS.join(', ')}.`,
      );
    }
    specs.set(name, name === 'Ed25519' ? ED25519 : algorithmSpecs(owner, [name]).get(name)!);
  }
  return specs;
}
