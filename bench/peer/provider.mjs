// The peer Gatehouse is measured against: panva's oidc-provider (Node),
// configured like the Gatehouse that bench/run.sh sets up, so that every
// shared scenario sends the same requests to both:
//
//   bench-m2m  client_credentials, client_secret_basic, scope reports:read;
//              its access tokens are JWTs for API, signed with ACCESS_TOKEN_ALG
//              (ES256 by default, EdDSA or RS256), as Gatehouse's are
//   bench-rs   introspects (client_secret_basic)
//   bench-web  authorization_code + refresh_token (rotated on every use),
//              client_secret_basic, RS256 ID tokens, consent asked once and
//              remembered (a grant), as Gatehouse asks it
//   bench-user (and bench-signin-N) sign in with a password hashed with
//              argon2id at OWASP's parameters (m = 19456 KiB, t = 2, p = 1),
//              as Gatehouse's
//
// Where oidc-provider cannot do what Gatehouse does, the nearest it can:
// a JWT access token is never stored by oidc-provider, so neither
// /introspect nor /userinfo accepts one; the introspected token is an
// opaque one for OPAQUE_API (same client, same scope), and /userinfo is
// called with the opaque access token of a code exchange. Everything is
// kept in process memory (a Map, not the LRU of 1,000 entries of the
// bundled development adapter, which would drop the pre-minted codes);
// Gatehouse writes to its database.
//
// The endpoints are renamed to Gatehouse's paths (/authorize, /token,
// /userinfo, /jwks.json, /introspect) so that one wrk script fits both.
//
// Environment: PORT, ISSUER, ACCESS_TOKEN_ALG, M2M_SECRET, RS_SECRET,
// WEB_SECRET, BENCH_PASSWORD, SIGNIN_USERS (all set by bench/run.sh).

import crypto from 'node:crypto';
import http from 'node:http';
import { hash, verify, Algorithm } from '@node-rs/argon2';
import Provider, { errors } from 'oidc-provider';

const env = (name, fallback) => {
  const value = process.env[name] ?? fallback;
  if (value === undefined) throw new Error(`${name} is not set`);
  return value;
};
const PORT = Number(env('PORT', '3000'));
const ISSUER = env('ISSUER', `http://127.0.0.1:${PORT}`);
const ACCESS_TOKEN_ALG = env('ACCESS_TOKEN_ALG', 'ES256');
const API = 'https://api.bench.example';
const OPAQUE_API = 'https://opaque-api.bench.example';
const REDIRECT_URI = 'http://127.0.0.1/bench-callback';
const ARGON2 = { algorithm: Algorithm.Argon2id, memoryCost: 19456, timeCost: 2, parallelism: 1 };

// --- storage: a Map with expiry ---------------------------------------------
const store = new Map(); // key -> { payload, expiresAt }
const grantMembers = new Map(); // grantId -> Set of keys
const sessionUids = new Map(); // uid -> session id
const alive = (entry) => entry && (!entry.expiresAt || entry.expiresAt > Date.now());
// Expired entries go every 10 s, so a long run does not grow for ever.
setInterval(() => {
  const now = Date.now();
  for (const [key, entry] of store) if (entry.expiresAt && entry.expiresAt <= now) store.delete(key);
}, 10_000).unref();

class MapAdapter {
  constructor(model) {
    this.model = model;
  }

  key(id) {
    return `${this.model}:${id}`;
  }

  async upsert(id, payload, expiresIn) {
    const key = this.key(id);
    store.set(key, { payload, expiresAt: expiresIn ? Date.now() + expiresIn * 1000 : 0 });
    if (payload.grantId) {
      if (!grantMembers.has(payload.grantId)) grantMembers.set(payload.grantId, new Set());
      grantMembers.get(payload.grantId).add(key);
    }
    if (this.model === 'Session' && payload.uid) sessionUids.set(payload.uid, id);
  }

  async find(id) {
    const entry = store.get(this.key(id));
    return alive(entry) ? entry.payload : undefined;
  }

  async findByUid(uid) {
    const id = sessionUids.get(uid);
    return id ? this.find(id) : undefined;
  }

  async findByUserCode() {
    return undefined;
  }

  async consume(id) {
    const entry = store.get(this.key(id));
    if (entry) entry.payload.consumed = Math.floor(Date.now() / 1000);
  }

  async destroy(id) {
    store.delete(this.key(id));
  }

  async revokeByGrantId(grantId) {
    for (const key of grantMembers.get(grantId) ?? []) store.delete(key);
    grantMembers.delete(grantId);
  }
}

// --- keys: one per algorithm, made at start -----------------------------------
const jwk = (type, options, alg) => {
  const { privateKey } = crypto.generateKeyPairSync(type, options);
  return { ...privateKey.export({ format: 'jwk' }), alg, use: 'sig', kid: crypto.randomUUID() };
};
const keys = [
  jwk('rsa', { modulusLength: 2048 }, 'RS256'),
  jwk('ec', { namedCurve: 'P-256' }, 'ES256'),
  jwk('ed25519', {}, 'EdDSA'),
];

// --- the one user ---------------------------------------------------------------
// bench-user, and bench-signin-1 ... bench-signin-SIGNIN_USERS for the
// sign-in scenario's concurrent browsers (one person each); one hash for
// all, as they share the password.
const passwordHash = await hash(env('BENCH_PASSWORD'), ARGON2);
const users = new Map();
for (const name of ['bench-user', ...Array.from({ length: Number(env('SIGNIN_USERS', '0')) }, (_, i) => `bench-signin-${i + 1}`)]) {
  users.set(name, {
    sub: crypto.randomUUID(),
    passwordHash,
    claims: { name, email: `${name}@example.com`, email_verified: false },
  });
}
const accountsById = new Map([...users.values()].map((u) => [u.sub, u]));

const configuration = {
  adapter: MapAdapter,
  clients: [
    {
      client_id: 'bench-m2m',
      client_secret: env('M2M_SECRET'),
      grant_types: ['client_credentials'],
      redirect_uris: [],
      response_types: [],
      token_endpoint_auth_method: 'client_secret_basic',
    },
    {
      client_id: 'bench-rs',
      client_secret: env('RS_SECRET'),
      grant_types: [],
      redirect_uris: [],
      response_types: [],
      token_endpoint_auth_method: 'client_secret_basic',
    },
    {
      client_id: 'bench-web',
      client_secret: env('WEB_SECRET'),
      grant_types: ['authorization_code', 'refresh_token'],
      redirect_uris: [REDIRECT_URI],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
      id_token_signed_response_alg: 'RS256',
    },
  ],
  jwks: { keys },
  cookies: { keys: [crypto.randomBytes(32).toString('base64url')] },
  claims: {
    openid: ['sub'],
    profile: ['name'],
    email: ['email', 'email_verified'],
  },
  scopes: ['openid', 'offline_access', 'profile', 'email'],
  routes: {
    authorization: '/authorize',
    token: '/token',
    userinfo: '/userinfo',
    jwks: '/jwks.json',
    introspection: '/introspect',
    end_session: '/logout',
  },
  // Gatehouse's lifetimes (config/default.toml); codes live 10 minutes
  // here and there (run.sh sets Gatehouse's too) because a pool of them is
  // minted before the code-exchange scenario.
  ttl: {
    AccessToken: 600,
    ClientCredentials: 600,
    IdToken: 600,
    AuthorizationCode: 600,
    RefreshToken: 1209600,
    Grant: 1209600,
    Interaction: 3600,
    Session: 86400,
  },
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    introspection: { enabled: true },
    revocation: { enabled: true },
    userinfo: { enabled: true },
    resourceIndicators: {
      enabled: true,
      // bench-m2m's requests name no resource: its tokens are for API, as
      // Gatehouse's are for the client's one registered API.
      defaultResource: async (_ctx, client, oneOf) =>
        oneOf ?? (client?.clientId === 'bench-m2m' ? API : undefined),
      useGrantedResource: async () => false,
      getResourceServerInfo: async (_ctx, resource) => {
        if (resource === API) {
          return {
            scope: 'reports:read',
            audience: API,
            accessTokenTTL: 600,
            accessTokenFormat: 'jwt',
            jwt: { sign: { alg: ACCESS_TOKEN_ALG } },
          };
        }
        if (resource === OPAQUE_API) {
          return { scope: 'reports:read', audience: OPAQUE_API, accessTokenTTL: 600, accessTokenFormat: 'opaque' };
        }
        throw new errors.InvalidTarget();
      },
    },
  },
  pkce: { required: () => true },
  // Gatehouse rotates a refresh token on every use and issues one whenever
  // the client may refresh and asked for offline_access.
  rotateRefreshToken: () => true,
  interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
  findAccount: async (_ctx, sub) => {
    const user = accountsById.get(sub);
    if (!user) return undefined;
    return { accountId: sub, claims: async () => ({ sub, ...user.claims }) };
  },
  renderError: async (ctx, out) => {
    ctx.type = 'html';
    ctx.body = `<!doctype html><title>Error</title><p>${escape(out.error)}: ${escape(out.error_description ?? '')}</p>`;
  },
};

const provider = new Provider(ISSUER, configuration);
provider.on('server_error', (_ctx, err) => console.error('server_error', err));

// --- sign-in pages: the same forms as Gatehouse's ----------------------------------
function escape(s) {
  return String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function page(res, status, title, body) {
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
  res.end(`<!doctype html><html><head><meta charset="utf-8"><title>${title}</title></head><body>${body}</body></html>`);
}

function loginForm(uid, message = '') {
  return `<h1>Sign in</h1>${message ? `<p role="alert">${escape(message)}</p>` : ''}
<form method="post" action="/interaction/${uid}/login">
  <label for="username">Username</label>
  <input id="username" name="username" autocomplete="username" required autofocus>
  <label for="password">Password</label>
  <input id="password" name="password" type="password" autocomplete="current-password" required>
  <button type="submit">Sign in</button>
</form>`;
}

function consentForm(uid, client, scopes) {
  return `<h1>${escape(client)} asks</h1><ul>${scopes.map((s) => `<li>${escape(s)}</li>`).join('')}</ul>
<form method="post" action="/interaction/${uid}/consent">
  <button type="submit" name="decision" value="allow">Allow</button>
  <button type="submit" name="decision" value="deny">Deny</button>
</form>`;
}

async function readForm(req) {
  let body = '';
  for await (const chunk of req) {
    body += chunk;
    if (body.length > 16384) throw new Error('form too large');
  }
  return new URLSearchParams(body);
}

async function interaction(req, res, uid, action) {
  const details = await provider.interactionDetails(req, res);
  if (details.uid !== uid) throw new errors.SessionNotFound('interaction mismatch');
  const { prompt, params, session } = details;

  if (req.method === 'GET') {
    if (prompt.name === 'login') return page(res, 200, 'Sign in', loginForm(uid));
    const scopes = [...(prompt.details.missingOIDCScope ?? []), ...Object.values(prompt.details.missingResourceScopes ?? {}).flat()];
    return page(res, 200, 'Consent', consentForm(uid, params.client_id, scopes));
  }

  const form = await readForm(req);
  if (action === 'login' && prompt.name === 'login') {
    const user = users.get(form.get('username') ?? '');
    // Unknown users cost a hash too, as at Gatehouse.
    const ok = await verify(user?.passwordHash ?? users.get('bench-user').passwordHash, form.get('password') ?? '');
    if (!user || !ok) return page(res, 200, 'Sign in', loginForm(uid, 'Wrong username or password'));
    return provider.interactionFinished(req, res, { login: { accountId: user.sub } }, { mergeWithLastSubmission: false });
  }
  if (action === 'consent' && prompt.name === 'consent') {
    if (form.get('decision') !== 'allow') {
      return provider.interactionFinished(req, res, { error: 'access_denied' }, { mergeWithLastSubmission: false });
    }
    const grant = details.grantId
      ? await provider.Grant.find(details.grantId)
      : new provider.Grant({ accountId: session.accountId, clientId: params.client_id });
    const d = prompt.details;
    if (d.missingOIDCScope) grant.addOIDCScope(d.missingOIDCScope.join(' '));
    if (d.missingOIDCClaims) grant.addOIDCClaims(d.missingOIDCClaims);
    for (const [indicator, scopes] of Object.entries(d.missingResourceScopes ?? {})) {
      grant.addResourceScope(indicator, scopes.join(' '));
    }
    const grantId = await grant.save();
    return provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
  }
  return page(res, 400, 'Error', '<p>unexpected step</p>');
}

const callback = provider.callback();
const server = http.createServer((req, res) => {
  const match = /^\/interaction\/([A-Za-z0-9_-]+)(?:\/(login|consent))?$/.exec(req.url.split('?')[0]);
  if (!match) return callback(req, res);
  interaction(req, res, match[1], match[2]).catch((err) => {
    console.error('interaction error', err);
    if (!res.headersSent) page(res, 400, 'Error', `<p>${escape(err.message)}</p>`);
  });
});
server.keepAliveTimeout = 65_000;
server.listen(PORT, '127.0.0.1', () => console.log(`oidc-provider peer listening on ${ISSUER} (access tokens ${ACCESS_TOKEN_ALG})`));
for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => server.close(() => process.exit(0)));
