/** What `HTTPBase`, `HTTPBearer` and `HTTPDigest` extract from `Authorization: <scheme> <credentials>`. */
export class HTTPAuthorizationCredentials {
  constructor(
    readonly scheme: string,
    readonly credentials: string,
  ) {}
}

/** What `HTTPBasic` extracts from `Authorization: Basic <base64(username:password)>`. */
export class HTTPBasicCredentials {
  constructor(
    readonly username: string,
    readonly password: string,
  ) {}
}
