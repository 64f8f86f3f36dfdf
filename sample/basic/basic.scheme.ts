import { HTTPBasic } from 'nestjs-security-schemes';

/** HTTP Basic, as in FastAPI's "HTTP Basic Auth" tutorial. Try stanleyjobson / swordfish. */
export const basicScheme = new HTTPBasic({ description: 'The HTTP Basic tutorial: user name stanleyjobson, password swordfish.' });
