import { APIKeyHeader } from 'nestjs-security-schemes';

/** Services call with a key in the X-API-Key header. The sample knows one: `sample-service-key`. */
export const apiKeyScheme = new APIKeyHeader({
  name: 'X-API-Key',
  description: 'A service key. The sample accepts `sample-service-key` (the reporting service).',
});
