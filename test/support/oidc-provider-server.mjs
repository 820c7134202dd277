// A real OpenID provider (npm oidc-provider) on loopback for the single sign-on tests, in a child
// process: plain Node loads its ES modules, Jest's loader would not. Its development login form
// takes any login name as the account; the accounts' claims come as JSON. Consent is granted at
// once (as a city's provider does for its own applications). Prints "ready" when it listens.
// Usage: node oidc-provider-server.mjs <port> <clientId> <clientSecret> <redirectUri> <accountsJson>
// Each line on stdin is JSON of accounts to add or change (a person's address changed in the directory).
import { createInterface } from 'node:readline';
import Provider from 'oidc-provider';

const [port, clientId, clientSecret, redirectUri, accountsJson] = process.argv.slice(2);
const accounts = JSON.parse(accountsJson);
const issuer = `http://127.0.0.1:${port}`;

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: clientId,
      client_secret: clientSecret,
      redirect_uris: [redirectUri],
      response_types: ['code'],
      grant_types: ['authorization_code'],
    },
  ],
  findAccount: async (ctx, sub) =>
    // Addresses count as verified unless an account says otherwise (a city's directory verifies them).
    accounts[sub] ? { accountId: sub, claims: async () => ({ sub, email_verified: true, ...accounts[sub] }) } : undefined,
  claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name', 'holdfast_role', 'holdfast_offices'] },
  scopes: ['openid', 'email', 'profile'],
  conformIdTokenClaims: false,
  cookies: { keys: ['holdfast-test-provider-key'] },
  features: { devInteractions: { enabled: true } },
  loadExistingGrant: async (ctx) => {
    const grantId = ctx.oidc.result?.consent?.grantId || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (grantId) return ctx.oidc.provider.Grant.find(grantId);
    const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
    grant.addOIDCScope('openid email profile');
    grant.addOIDCClaims(['email', 'name', 'holdfast_role', 'holdfast_offices']);
    await grant.save();
    return grant;
  },
});
provider.on('server_error', (ctx, err) => process.stderr.write(`provider error: ${err.stack}\n`));
createInterface({ input: process.stdin }).on('line', (line) => {
  Object.assign(accounts, JSON.parse(line));
  process.stdout.write('changed\n');
});
provider.listen(Number(port), '127.0.0.1', () => process.stdout.write('ready\n'));
