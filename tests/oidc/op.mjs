// A real OpenID Provider (the certified `oidc-provider` package) on 127.0.0.1 for the
// sign-in tests. Started by tests/oidc/provider.py with one JSON argument:
//   {"port": 0, "clients": [{client_id, client_secret, redirect_uris}], "accounts": {id: claims}}
// It prints one line `ready <issuer>` when it listens, and runs until it is terminated.
//
// People sign in on the package's own development login form (any password; the login
// name must be one of the configured accounts). Consent is granted automatically, as an
// organisation's IdP does for its own first-party applications.
import http from 'node:http';

import Provider from 'oidc-provider';

const settings = JSON.parse(process.argv[2] ?? '{}');
const accounts = settings.accounts ?? {};

const server = http.createServer();
await new Promise((resolve) => { server.listen(settings.port ?? 0, '127.0.0.1', resolve); });
const issuer = `http://127.0.0.1:${server.address().port}`;

const provider = new Provider(issuer, {
  clients: (settings.clients ?? []).map((client) => ({
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
    ...client,
  })),
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name', 'given_name', 'family_name', 'employee_number'],
  },
  cookies: { keys: ['op test cookie key, loopback only'] },
  features: { devInteractions: { enabled: true } },
  async findAccount(_ctx, id) {
    const claims = accounts[id];
    if (!claims) return undefined;
    return { accountId: id, async claims() { return { sub: id, ...claims }; } };
  },
  async loadExistingGrant(ctx) {
    const grantId = ctx.oidc.result?.consent?.grantId
      || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (grantId) return ctx.oidc.provider.Grant.find(grantId);
    const grant = new ctx.oidc.provider.Grant({
      clientId: ctx.oidc.client.clientId,
      accountId: ctx.oidc.session.accountId,
    });
    grant.addOIDCScope('openid email profile');
    await grant.save();
    return grant;
  },
});
provider.on('server_error', (_ctx, error) => { process.stderr.write(`${error.stack}\n`); });

server.on('request', provider.callback());
process.stdout.write(`ready ${issuer}\n`);
process.on('SIGTERM', () => { server.close(() => process.exit(0)); });
