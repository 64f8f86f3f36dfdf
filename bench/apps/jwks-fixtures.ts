import { createPrivateKey, createPublicKey } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import jwt from 'jsonwebtoken';
import { USERNAME } from '../fixtures';

// Shared by the JWKS scenarios (servers) and the runner (which signs the tokens it sends).

/** A key made for the benchmark only, so that the runner and the servers agree on it. */
const BENCH_RSA_PRIVATE_KEY = `-----BEGIN PRIVATE KEY-----
MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQCiTm/uZ9cKPpmZ
Opt7AqqTGUACzdXUKeP2jHBGjXAW5PJCKX93SHlfrTnzSgcC5FYgZa9x4eQLUhf6
N2GYl9hBNkMm7dJQMQCJpMXwcl41NEDCykGD7nPx9eQBfYBUutXukd5ggAKZytaJ
S3R9uD6P4EnsxHf/4RR/1CNzIcmB7JGYiuMWLv/JJf6e71V54RUAwhVYuClzLgQU
7HIYKMpJ/pHZdTeTfDtOIx2OGtkG7/QSaQU517ALSVmhoA60nCRCa9z++H+IdnUD
Raq3yAZtU5HP1rJdkc7tqDxs5Fbnf110fiCMG2N0S+AN0i9ta7yUH2MaMQW7KFUt
8ROR/C05AgMBAAECggEABTVoMSntmZC7DtL11LjtWW142OjbIQURIZiN19hyeEGe
UVI8msrdc50UXC2MKQ3D186mQTeDFnvqyhGx6kWL3+01CCWfV18jNHJFvzrPBtJn
oPiq/pK4mii5HvUfQ64qmbkzqObNbpBhryPtQprsOGN1wTPoN/LKB3TQMxcqp3va
Foq4i8Z05JnwrfKhxyu8+/MluDScge5OT19opXij0IEkEub+KURADj2M2G5BUTIY
9LbZw7NllYhLwO/URk231JHG0swBxm6DtCNAn2al3PHDuTJTaUFwXalLbTrkkKZt
UtomwEHI3f0MzWL/sXZ+gLWpvvT+L3o47v1vl/9uwwKBgQDcmtbdvFcbtxYt4OpM
6wsQDRnyR6CZIakgoxZVbj98XVbJMLf3g49OX+0qFuHd4dolaD1a+yIWz2h0JbSI
X+PJAcSORBfJSCfMpBLA9m3mYVEQoFfbszrPVXBGobsIk+DduyB1LUj2ohys5ZXs
Kai9ZtNogUZbJ57329Wqt8SREwKBgQC8WQmkHdBs1msc2hlvUI2oUcBmVez52HhC
z9Gv5m7MO7LPczGwa32sdcE1vshMQfvsTnT2zSTl8nmUxlzcrQzQjorG5oPkBp3h
uYBGnCIfH23XofKvCQRA94weoMikyLdFuwMd1w7TA2kQK4aaud6M7+N3YzViw7BD
6n9ks6DeAwKBgQDCBPBqreWSu5CnIwQOSD4/jLZALpzhcQhVavoOgtsVHuZgJhf2
eV+FV7q3ZM6bnbKFactkhDC0DRBZ7nt74ZHtzD85vEuLPIm8YqUXzuRTVU29qLf8
wwI7LXKEvGNJpP2FJbnjNMPSHjvIGFemD/GXOqM+a0wciZk3dsHR1rPrvwKBgGfu
qgdJ/G1SlKDDKS3nwYOUORs/ZxknfpU/oHH0Mke42Z7n7g9wAVVdVVSXBmguMRng
4WIfKbFJ8BVMsImFZIDhZ2sCYN0/WXfpqQNNvPZ3nWFUGFrGGvbOox9zkcR8jcWI
wNuChMekJiGqIwjWcBxNc7O5pwfs/CM+DzY+eRKJAoGAIrUMrQhiDFYOZ+QT93LV
TpBPePwZ+3FIFCGuDAd8mhYvFYhb4PyiLmdc4EybQ8hpR43AUuiaIxL9hacY3oMB
t7pTvi0hdz6+GCf12/gbjv2HJ3FOFexMIgBjIHlNlb2qHbDrRbCM76iQNxCk4IMU
jYIK4kaqi/mA5sYfMhBXVMQ=
-----END PRIVATE KEY-----`;

const privateKey = createPrivateKey(BENCH_RSA_PRIVATE_KEY);
export const JWKS_KID = 'bench-rs256';
export const JWKS_ISSUER = 'https://idp.bench.test';
export const JWKS_AUDIENCE = 'https://api.bench.test';

/** An RS256 access token as an identity provider issues it: iss, aud, scope, two hours. */
export function signRs256AccessToken(username = USERNAME, scope = 'me items'): string {
  return jwt.sign({ sub: username, scope }, privateKey, {
    algorithm: 'RS256',
    keyid: JWKS_KID,
    issuer: JWKS_ISSUER,
    audience: JWKS_AUDIENCE,
    expiresIn: '2h',
  });
}

/** Serves the public key as a JWKS on a free local port, as an identity provider would; returns its URL. */
export async function startJwksServer(): Promise<string> {
  const jwks = JSON.stringify({ keys: [{ ...createPublicKey(privateKey).export({ format: 'jwk' }), kid: JWKS_KID, alg: 'RS256', use: 'sig' }] });
  const server = createServer((_request, response) => {
    response.setHeader('content-type', 'application/json');
    response.end(jwks);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  server.unref();
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks`;
}
