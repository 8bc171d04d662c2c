// The official MCP TypeScript SDK client connects to a served Billcraft by its URL alone and
// goes through OAuth as a real client would: discovery, dynamic registration, PKCE, the
// user's sign-in and consent in a "browser" (fetch with a cookie jar, redirects by hand,
// landing on a loopback callback server), the code exchange, tool calls, then a refresh with
// rotation, a replay of the old refresh token and the family revocation that follows.
//
//   node oauth_flow.mjs BASE_URL EMAIL [PASSWORD]     (or the password in BILLCRAFT_PASSWORD)
//
// It prints one JSON summary of what it observed on stdout and exits 0; on any failure it
// prints the failure on stderr (with what it had observed so far) and exits 1.

import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { UnauthorizedError, refreshAuthorization } from '@modelcontextprotocol/sdk/client/auth.js';
import { InvalidGrantError } from '@modelcontextprotocol/sdk/server/auth/errors.js';

const STEP_TIMEOUT_MS = 30_000;
const TOTAL_TIMEOUT_MS = 120_000;

const [base, email, passwordArg] = process.argv.slice(2);
const password = passwordArg ?? process.env.BILLCRAFT_PASSWORD;
if (!base || !email || !password) {
  console.error('usage: node oauth_flow.mjs BASE_URL EMAIL [PASSWORD] (or BILLCRAFT_PASSWORD)');
  process.exit(2);
}
const origin = new URL(base).origin;
const mcpUrl = new URL('/api/mcp', base);

const summary = {
  sdk_version: JSON.parse(
    readFileSync(new URL('./node_modules/@modelcontextprotocol/sdk/package.json', import.meta.url), 'utf8'),
  ).version,
  node_version: process.version,
  requests: [],
};

class Failure extends Error {}

function check(condition, message) {
  if (!condition) throw new Failure(message);
}

// --- what the SDK sends and receives ------------------------------------------------------

const noted = { registration: null, tokenRequests: [] };

/** The fetch the SDK uses for MCP and OAuth alike: every request is noted (path, status), the
 * registration answer is kept, and token requests are noted by their parameter names. */
async function observedFetch(url, init) {
  const target = new URL(url instanceof Request ? url.url : url);
  const method = (init?.method ?? 'GET').toUpperCase();
  const response = await fetch(url, { ...init, signal: init?.signal ?? AbortSignal.timeout(STEP_TIMEOUT_MS) });
  summary.requests.push({ method, path: target.pathname, status: response.status });
  if (target.pathname === '/oauth/register') {
    noted.registration = { status: response.status, body: await response.clone().json().catch(() => null) };
  }
  if (target.pathname === '/oauth/token' && init?.body instanceof URLSearchParams) {
    const params = init.body;
    noted.tokenRequests.push({
      grant_type: params.get('grant_type'),
      params: [...new Set(params.keys())].sort(),
      resource: params.get('resource'),
      status: response.status,
      body: response.ok ? null : await response.clone().json().catch(() => null),
    });
  }
  return response;
}

// --- the client's side: an in-memory OAuthClientProvider ----------------------------------

class MemoryProvider {
  constructor(redirectUrl) {
    this._redirectUrl = redirectUrl;
    this._client = undefined;
    this._tokens = undefined;
    this._verifier = undefined;
    this._discovery = undefined;
    this.states = [];
    this.authorizationUrls = [];
    this.invalidated = [];
  }

  get redirectUrl() {
    return this._redirectUrl;
  }

  get clientMetadata() {
    // No token_endpoint_auth_method: a client that names none must be registered as public.
    return {
      client_name: 'Billcraft CI (MCP TypeScript SDK)',
      redirect_uris: [this._redirectUrl],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
    };
  }

  state() {
    const state = randomBytes(16).toString('base64url');
    this.states.push(state);
    return state;
  }

  clientInformation() {
    return this._client;
  }

  saveClientInformation(info) {
    this._client = info;
  }

  tokens() {
    return this._tokens;
  }

  saveTokens(tokens) {
    this._tokens = tokens;
  }

  redirectToAuthorization(url) {
    // A desktop client would open the browser here; the flow drives it once connect() fails.
    this.authorizationUrls.push(new URL(url));
  }

  saveCodeVerifier(verifier) {
    this._verifier = verifier;
  }

  codeVerifier() {
    check(this._verifier, 'the SDK asked for a PKCE code verifier it never saved');
    return this._verifier;
  }

  saveDiscoveryState(state) {
    this._discovery = state;
  }

  discoveryState() {
    return this._discovery;
  }

  invalidateCredentials(scope) {
    this.invalidated.push(scope);
    if (scope === 'all' || scope === 'client') this._client = undefined;
    if (scope === 'all' || scope === 'tokens') this._tokens = undefined;
    if (scope === 'all' || scope === 'verifier') this._verifier = undefined;
    if (scope === 'all' || scope === 'discovery') this._discovery = undefined;
  }
}

// --- the user's side: a loopback callback and a browser -----------------------------------

/** The client's redirect URI: a loopback HTTP server on a free port (RFC 8252 7.3). */
function callbackServer() {
  const received = [];
  let deliver;
  let address;
  const server = http.createServer((request, response) => {
    const url = new URL(request.url, address);
    if (url.pathname !== '/callback') {
      response.writeHead(404).end();
      return;
    }
    received.push(url);
    response.writeHead(200, { 'Content-Type': 'text/html' }).end('<p>Signed in. You can close this window.</p>');
    deliver?.(url);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      address = `http://127.0.0.1:${server.address().port}`;
      resolve({
        url: `${address}/callback`,
        received,
        next: () => new Promise(r => (deliver = r)),
        close: () => new Promise(r => server.close(() => r())),
      });
    });
  });
}

function unescapeHtml(text) {
  return text
    .replace(/&#x([0-9a-f]+);/gi, (_, hex) => String.fromCodePoint(parseInt(hex, 16)))
    .replace(/&#(\d+);/g, (_, dec) => String.fromCodePoint(Number(dec)))
    .replace(/&quot;/g, '"')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

function attributes(tag) {
  const found = {};
  for (const [, name, value] of tag.matchAll(/([\w:-]+)\s*=\s*"([^"]*)"/g)) found[name] = unescapeHtml(value);
  return found;
}

/** The page's forms: their action and fields, as a browser would submit them. */
function forms(html) {
  return [...html.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/gi)].map(([, formTag, body]) => ({
    action: attributes(formTag).action ?? '',
    inputs: [...body.matchAll(/<input\b[^>]*>/gi)].map(([tag]) => attributes(tag)),
    buttons: [...body.matchAll(/<button\b[^>]*>/gi)].map(([tag]) => attributes(tag)),
  }));
}

class Browser {
  constructor() {
    this.cookies = new Map();
    this.pages = [];
  }

  async fetch(url, init = {}) {
    const target = new URL(url);
    const headers = new Headers(init.headers);
    if (target.origin === origin && this.cookies.size) {
      headers.set('Cookie', [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; '));
    }
    const response = await fetch(target, {
      ...init,
      headers,
      redirect: 'manual',
      signal: AbortSignal.timeout(STEP_TIMEOUT_MS),
    });
    if (target.origin === origin) {
      for (const line of response.headers.getSetCookie()) {
        const [pair, ...rest] = line.split(';');
        const at = pair.indexOf('=');
        const name = pair.slice(0, at).trim();
        const gone = rest.some(a => /^\s*max-age\s*=\s*0\s*$/i.test(a));
        if (gone) this.cookies.delete(name);
        else this.cookies.set(name, pair.slice(at + 1).trim());
      }
    }
    return response;
  }

  /** Open the authorization URL and act as the user until the server sends the browser
   * off-site; follow that redirect too (to the client's loopback callback). */
  async authorize(authorizationUrl, user) {
    let response = await this.fetch(authorizationUrl);
    for (let hops = 0; hops < 12; hops++) {
      if ([301, 302, 303, 307, 308].includes(response.status)) {
        const location = response.headers.get('location');
        check(location, `redirect ${response.status} without Location from ${response.url}`);
        const target = new URL(location, response.url);
        if (target.origin !== origin) {
          await this.fetch(target); // the callback answers the page "you can close this window"
          return target;
        }
        response = await this.fetch(target);
        continue;
      }
      const html = await response.text();
      check(response.status === 200, `${response.url} answered ${response.status}: ${html.slice(0, 500)}`);
      const [form] = forms(html);
      check(form, `${response.url}: a page without a form`);
      const fields = new URLSearchParams();
      for (const input of form.inputs) if (input.name) fields.append(input.name, input.value ?? '');
      const action = new URL(form.action || response.url, response.url);
      const names = form.inputs.map(i => i.name);
      check(names.includes('_csrf_token') && fields.get('_csrf_token'), `${action.pathname}: the form has no CSRF token`);
      if (names.includes('password')) {
        this.pages.push({ page: 'signin', path: new URL(response.url).pathname, csrf_token: true });
        fields.set('email', user.email);
        fields.set('password', user.password);
      } else {
        const approve = form.buttons.find(b => b.name === 'decision' && b.value === 'approve');
        check(approve, `${action.pathname}: a consent form without an approve button`);
        this.pages.push({
          page: 'consent',
          path: new URL(response.url).pathname,
          csrf_token: true,
          names_client: html.includes('Billcraft CI (MCP TypeScript SDK)'),
          hidden_fields: names.filter(n => n !== '_csrf_token').sort(),
        });
        fields.set('decision', 'approve');
      }
      response = await this.fetch(action, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', Origin: origin, Referer: response.url },
        body: fields,
      });
    }
    throw new Failure('the sign-in and consent pages did not finish in 12 steps');
  }
}

// --- MCP -----------------------------------------------------------------------------------

async function withClient(transportOptions, work) {
  const transport = new StreamableHTTPClientTransport(mcpUrl, { fetch: observedFetch, ...transportOptions });
  const client = new Client({ name: 'billcraft-ci-typescript', version: '1.0.0' });
  await client.connect(transport);
  try {
    return await work(client);
  } finally {
    await client.close();
  }
}

async function callTool(client, name, args) {
  const result = await client.callTool({ name, arguments: args });
  check(!result.isError, `${name} ${JSON.stringify(args)} answered an error: ${JSON.stringify(result.content)}`);
  check(result.structuredContent, `${name} returned no structuredContent`);
  return result.structuredContent;
}

/** A connection with only a bearer token (no provider to re-authorize): what the server says. */
async function bearerOutcome(accessToken) {
  try {
    return await withClient({ requestInit: { headers: { Authorization: `Bearer ${accessToken}` } } }, async client => {
      const listed = await callTool(client, 'workspace', { action: 'list' });
      return { status: 200, workspaces: listed.items.length };
    });
  } catch (error) {
    if (typeof error?.code === 'number') return { status: error.code };
    throw error;
  }
}

async function refreshOutcome(provider, refreshToken) {
  const discovery = provider.discoveryState();
  try {
    const tokens = await refreshAuthorization(discovery.authorizationServerUrl, {
      metadata: discovery.authorizationServerMetadata,
      clientInformation: provider.clientInformation(),
      refreshToken,
      resource: discovery.resourceMetadata?.resource,
      fetchFn: observedFetch,
    });
    return { tokens };
  } catch (error) {
    return { error };
  }
}

function s256(verifier) {
  return createHash('sha256').update(verifier).digest('base64url');
}

// --- the flow ------------------------------------------------------------------------------

async function main() {
  const callback = await callbackServer();
  try {
    await flow(callback);
  } finally {
    await callback.close();
  }
}

async function flow(callback) {
  const provider = new MemoryProvider(callback.url);

  // 1. Connect with nothing: 401, then the SDK discovers, registers and asks for the browser.
  const first = new StreamableHTTPClientTransport(mcpUrl, { authProvider: provider, fetch: observedFetch });
  let unauthorized = null;
  try {
    await new Client({ name: 'billcraft-ci-typescript', version: '1.0.0' }).connect(first);
  } catch (error) {
    unauthorized = error;
  }
  check(unauthorized instanceof UnauthorizedError, `connect without a token: expected UnauthorizedError, got ${unauthorized}`);
  check(provider.authorizationUrls.length === 1, 'the SDK never called redirectToAuthorization');

  const discovery = provider.discoveryState();
  const metadata = discovery?.authorizationServerMetadata;
  check(metadata, 'the SDK found no authorization server metadata');
  const paths = summary.requests.map(r => `${r.method} ${r.path} ${r.status}`);
  summary.discovery = {
    initial_status: summary.requests[0]?.status,
    fetched: summary.requests.filter(r => r.path.includes('/.well-known/')).map(r => `${r.path} ${r.status}`),
    authorization_server: discovery.authorizationServerUrl,
    issuer: metadata.issuer,
    resource: discovery.resourceMetadata?.resource,
    code_challenge_methods_supported: metadata.code_challenge_methods_supported,
    token_endpoint_auth_methods_supported: metadata.token_endpoint_auth_methods_supported,
  };
  check(paths.some(p => p.startsWith('GET /.well-known/oauth-protected-resource') && p.endsWith(' 200')), 'no protected resource metadata');
  check(paths.some(p => p.startsWith('GET /.well-known/oauth-authorization-server') && p.endsWith(' 200')), 'no authorization server metadata');

  const registration = noted.registration;
  check(registration?.status === 201 || registration?.status === 200, `registration answered ${registration?.status}`);
  summary.registration = {
    status: registration.status,
    client_id: registration.body.client_id,
    fields: Object.keys(registration.body).sort(),
    client_secret_present: 'client_secret' in registration.body,
    token_endpoint_auth_method: registration.body.token_endpoint_auth_method,
    redirect_uris: registration.body.redirect_uris,
  };
  check(provider.clientInformation()?.client_id === registration.body.client_id, 'the SDK did not keep the registered client');

  // 2. The authorization request, as the SDK built it.
  const authorizationUrl = provider.authorizationUrls[0];
  const q = authorizationUrl.searchParams;
  const verifier = provider.codeVerifier();
  summary.authorization = {
    endpoint: `${authorizationUrl.origin}${authorizationUrl.pathname}`,
    response_type: q.get('response_type'),
    code_challenge_method: q.get('code_challenge_method'),
    code_challenge_is_s256_of_verifier: q.get('code_challenge') === s256(verifier),
    redirect_uri: q.get('redirect_uri'),
    resource: q.get('resource'),
    scope: q.get('scope'),
    state_sent: q.has('state'),
  };
  check(summary.authorization.code_challenge_is_s256_of_verifier, 'code_challenge is not S256 of the saved verifier');

  // 3. The browser: sign-in, consent, back to the loopback redirect URI.
  const browser = new Browser();
  const arrival = callback.next();
  const landed = await browser.authorize(authorizationUrl, { email, password });
  let waiting;
  const received = await Promise.race([
    arrival,
    new Promise((_, reject) => {
      waiting = setTimeout(() => reject(new Failure('the callback never received the redirect')), STEP_TIMEOUT_MS);
    }),
  ]).finally(() => clearTimeout(waiting));
  const back = received.searchParams;
  check(!back.has('error'), `the server refused: ${back.get('error')} ${back.get('error_description') ?? ''}`);
  check(back.get('code'), `no code in the redirect: ${landed}`);
  summary.browser = {
    pages: browser.pages,
    landed_on: `${received.origin}${received.pathname}`,
    callback_hits: callback.received.length,
    code_received: true,
    state_matches: back.get('state') === provider.states.at(-1),
    iss: back.get('iss'),
    iss_matches_issuer: back.get('iss') === metadata.issuer,
  };
  check(summary.browser.state_matches, `state came back as ${back.get('state')}, sent ${provider.states.at(-1)}`);
  check(summary.browser.iss_matches_issuer, `iss ${back.get('iss')} is not the issuer ${metadata.issuer}`);

  // 4. The code exchange, by the SDK.
  await first.finishAuth(back.get('code'));
  const exchange = noted.tokenRequests.at(-1);
  const tokens = provider.tokens();
  check(tokens?.access_token && tokens?.refresh_token, 'finishAuth saved no access and refresh token');
  summary.token = {
    grant_type: exchange.grant_type,
    params: exchange.params,
    status: exchange.status,
    resource: exchange.resource,
    token_type: tokens.token_type,
    expires_in: tokens.expires_in,
    scope: tokens.scope,
    refresh_token_issued: Boolean(tokens.refresh_token),
  };

  // 5. Reconnect and use the tools.
  summary.tools = await withClient({ authProvider: provider }, async client => {
    const { tools } = await client.listTools();
    const workspaces = await callTool(client, 'workspace', { action: 'list' });
    const slugs = workspaces.items.map(w => w.company_slug);
    check(slugs.length > 0, 'workspace list is empty');
    const invoices = await callTool(client, 'invoice', { action: 'list', company_slug: slugs[0] });
    return {
      listed: tools.length,
      names_include: ['workspace', 'client', 'invoice'].filter(n => tools.some(t => t.name === n)),
      workspace_slugs: slugs,
      invoices: invoices.items.map(i => ({ uuid: i.uuid, title: i.title, status: i.status, total: i.total })),
    };
  });

  // 6. Refresh with the SDK's refreshAuthorization: the refresh token rotates.
  const old = provider.tokens();
  const refreshed = await refreshOutcome(provider, old.refresh_token);
  check(refreshed.tokens, `refresh failed: ${refreshed.error}`);
  provider.saveTokens({ ...refreshed.tokens, issuer: old.issuer });
  const rotated = provider.tokens();
  const refreshRequest = noted.tokenRequests.at(-1);
  const afterRefresh = await withClient({ authProvider: provider }, client => callTool(client, 'workspace', { action: 'list' }));
  summary.refresh = {
    grant_type: refreshRequest.grant_type,
    params: refreshRequest.params,
    status: refreshRequest.status,
    new_refresh_token: rotated.refresh_token !== old.refresh_token,
    new_access_token: rotated.access_token !== old.access_token,
    new_access_token_works: afterRefresh.items.length > 0,
    old_access_token_after_rotation: await bearerOutcome(old.access_token),
  };
  check(summary.refresh.new_refresh_token, 'the refresh token did not rotate');
  check(summary.refresh.new_access_token, 'the refresh gave back the same access token');

  // 7. Replay the old refresh token: refused, and the whole family is revoked.
  const replay = await refreshOutcome(provider, old.refresh_token);
  check(replay.error, 'the replayed refresh token was accepted');
  summary.replay = {
    refused: true,
    error: replay.error.errorCode ?? String(replay.error),
    invalid_grant_error: replay.error instanceof InvalidGrantError,
    status: noted.tokenRequests.at(-1).status,
  };
  check(summary.replay.invalid_grant_error, `the replay was refused with ${replay.error}, not invalid_grant`);

  const rotatedAgain = await refreshOutcome(provider, rotated.refresh_token);
  const rotatedAccess = await bearerOutcome(rotated.access_token);
  summary.family_revoked = {
    rotated_access_token: rotatedAccess,
    rotated_refresh_token_error: rotatedAgain.error?.errorCode ?? (rotatedAgain.tokens ? 'accepted' : String(rotatedAgain.error)),
  };
  check(rotatedAccess.status === 401, `the rotated access token still answers ${rotatedAccess.status}`);
  check(rotatedAgain.error instanceof InvalidGrantError, 'the rotated refresh token is still accepted');

  // 8. The SDK, holding the revoked tokens, falls back to asking the user again.
  let again = null;
  try {
    await withClient({ authProvider: provider }, () => null);
  } catch (error) {
    again = error;
  }
  summary.family_revoked.sdk_asks_user_again = again instanceof UnauthorizedError && provider.authorizationUrls.length === 2;
  summary.family_revoked.sdk_invalidated = provider.invalidated;
  check(summary.family_revoked.sdk_asks_user_again, `with revoked tokens the SDK did not go back to authorization: ${again}`);
}

const deadline = setTimeout(() => {
  console.error(`FAILED: the flow took more than ${TOTAL_TIMEOUT_MS / 1000} s`);
  console.error(JSON.stringify(summary, null, 2));
  process.exit(1);
}, TOTAL_TIMEOUT_MS);
deadline.unref();

try {
  await main();
  summary.ok = true;
  process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
} catch (error) {
  console.error(`FAILED: ${error instanceof Failure ? error.message : error?.stack ?? error}`);
  console.error(JSON.stringify(summary, null, 2));
  process.exitCode = 1;
}
