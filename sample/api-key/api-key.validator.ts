import { Injectable } from '@nestjs/common';
import type { SecurityValidator } from 'nestjs-security-schemes';
import { createHash, timingSafeEqual } from 'node:crypto';

/** A service that called with its API key. */
export class ServicePrincipal {
  constructor(readonly service: string) {}
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

/** Keys are kept as SHA-256 digests only; a leaked list does not reveal them. */
const SERVICE_KEYS = [{ service: 'reporting', keyDigest: digest('sample-service-key') }];

/** Finds the service of an API key, comparing with every known key in constant time. Unknown key: 401. */
@Injectable()
export class ApiKeyValidator implements SecurityValidator<string, ServicePrincipal | null> {
  validate(key: string): ServicePrincipal | null {
    const sent = digest(key);
    let found: string | null = null;
    for (const { service, keyDigest } of SERVICE_KEYS) {
      if (timingSafeEqual(sent, keyDigest)) found = service;
    }
    return found === null ? null : new ServicePrincipal(found);
  }
}
