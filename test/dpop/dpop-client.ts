import { fork, type ChildProcess } from 'node:child_process';
import type { JsonWebKey } from 'node:crypto';
import { join } from 'node:path';
import { hasExited, readyMessage, trackChild } from '../utils/child-processes';

export interface ProofClaims {
  htm: string;
  htu: string;
  /** The access token the proof goes with (`ath`); none for a token request. */
  accessToken?: string;
  nonce?: string;
  iat?: number;
  jti?: string;
}

/**
 * A DPoP client (RFC 9449): key pairs and proofs made by `jose` in a child process (jose-process.mjs), as a client
 * library would make them. Each named key is made once.
 */
export class DPoPClient {
  private nextId = 0;
  private constructor(private readonly child: ChildProcess) {}

  static async start(): Promise<DPoPClient> {
    const child = trackChild(fork(join(__dirname, 'jose-process.mjs'), [], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] }));
    await readyMessage(child, 'the jose process');
    return new DPoPClient(child);
  }

  /** The named key pair (made on first use): its public JWK and jose's RFC 7638 thumbprint of it. */
  key(name: string, alg = 'ES256'): Promise<{ publicJwk: JsonWebKey; thumbprint: string }> {
    return this.send('key', { name, alg }) as Promise<{ publicJwk: JsonWebKey; thumbprint: string }>;
  }

  /** A proof signed with the named key (made first with `key`). */
  proof(name: string, claims: ProofClaims): Promise<string> {
    return this.send('proof', { name, ...claims }) as Promise<string>;
  }

  async stop(): Promise<void> {
    if (hasExited(this.child)) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.kill();
    await exited;
  }

  private send(cmd: string, extra: object): Promise<unknown> {
    const id = ++this.nextId;
    return new Promise((resolve, reject) => {
      const listener = (message: { id?: number; value?: unknown; error?: string }) => {
        if (message.id !== id) return;
        this.child.off('message', listener);
        if (message.error !== undefined) reject(new Error(message.error));
        else resolve(message.value);
      };
      this.child.on('message', listener);
      this.child.send({ id, cmd, ...extra });
    });
  }
}
