/**
 * The scopes a route requires of one scheme, merged from the module, the controller and the handler.
 * Built once per route at start-up; never changes afterwards.
 */
export class SecurityScopes {
  readonly scopes: string[];
  readonly scopeStr: string;

  constructor(scopes: readonly string[] = []) {
    this.scopes = Object.freeze([...scopes]) as string[];
    this.scopeStr = this.scopes.join(' ');
    Object.freeze(this);
  }
}
