// A real OpenID Connect provider for the records service's sign-in tests, on loopback only.
// Any login name signs in (the development login form); the name is the account's email.
// A name starting "unverified" gets email_verified false.
import Provider from "oidc-provider";

const port = Number(process.env.OIDC_PORT);
const provider = new Provider(`http://127.0.0.1:${port}`, {
  clients: [{
    client_id: process.env.OIDC_CLIENT_ID,
    client_secret: process.env.OIDC_CLIENT_SECRET,
    redirect_uris: [process.env.OIDC_REDIRECT_URI],
    response_types: ["code"],
    grant_types: ["authorization_code"],
  }],
  pkce: { required: () => true },
  claims: { openid: ["sub"], email: ["email", "email_verified"], profile: ["name"] },
  // The email in the ID token itself, as company providers put it there.
  conformIdTokenClaims: false,
  async findAccount(ctx, sub) {
    return {
      accountId: sub,
      async claims() {
        return { sub, email: sub, email_verified: !sub.startsWith("unverified"), name: `Test ${sub}` };
      },
    };
  },
  cookies: { keys: ["records-tests-only"] },
  features: { devInteractions: { enabled: true } },
});
provider.listen(port, "127.0.0.1", () => console.log("ready"));
