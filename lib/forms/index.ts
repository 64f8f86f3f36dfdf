// Filled in by the OAuth2 password form work.
export {};
