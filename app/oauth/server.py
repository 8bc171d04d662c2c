"""The OAuth 2.1 authorization server on authlib's grant machinery: authorization code with
PKCE (S256 only, required), refresh tokens rotated on use with reuse detection, RFC 7009
revocation, RFC 7591 dynamic registration of public clients, and RFC 8707 ``resource``
carried from the code into the token (RFC 9207 ``iss`` is added by the routes).

authlib is synchronous; ``OAuthServer.run`` executes it inside ``AsyncSession.run_sync`` so
its storage hooks (``app.oauth.store``) use the request's own transaction."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any, TypeVar

from authlib.oauth2 import AuthorizationServer
from authlib.oauth2.rfc6749 import grants
from authlib.oauth2.rfc6749.errors import InvalidRequestError, OAuth2Error
from authlib.oauth2.rfc6749.requests import BasicOAuth2Payload, JsonPayload, JsonRequest, OAuth2Request
from authlib.oauth2.rfc6750 import BearerTokenGenerator
from authlib.oauth2.rfc7009 import RevocationEndpoint
from authlib.oauth2.rfc7591 import ClientMetadataClaims, ClientRegistrationEndpoint
from authlib.oauth2.rfc7591.errors import InvalidClientMetadataError, InvalidRedirectURIError
from authlib.oauth2.rfc7636 import CodeChallenge
from sqlalchemy.ext.asyncio import AsyncSession

from app.domain.access import ALL_SCOPES
from app.domain.tokens import OAUTH_ACCESS_PREFIX
from app.oauth import store
from app.oauth.redirects import redirect_uri_problem

T = TypeVar("T")
ACCESS_PREFIX = OAUTH_ACCESS_PREFIX
REFRESH_PREFIX = "bcr_"


class InvalidTargetError(OAuth2Error):
    """RFC 8707: the requested resource is not one this server protects."""

    error = "invalid_target"


class S256Challenge(CodeChallenge):
    """PKCE is required, and only with S256: a missing or ``plain`` challenge is refused."""

    SUPPORTED_CODE_CHALLENGE_METHOD = ["S256"]
    DEFAULT_CODE_CHALLENGE_METHOD = "S256"

    def validate_code_challenge(self, grant: Any, redirect_uri: str) -> None:
        # authlib's check lets a request with no challenge through (``required`` is only
        # enforced at the token endpoint), so a code would be issued without PKCE.
        if self.required and not grant.request.payload.data.get("code_challenge"):
            raise InvalidRequestError("code_challenge is required (PKCE with code_challenge_method S256)")
        super().validate_code_challenge(grant, redirect_uri)


class CodeGrant(grants.AuthorizationCodeGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = ["none"]

    def save_authorization_code(self, code: str, request: OAuth2Request) -> None:
        data = request.payload.data
        if data.get("code_challenge_method") is None:
            data = {**data, "code_challenge_method": "S256"}
        server: OAuthServer = self.server
        store.save_code(code, request.client.client_id, request.user.id, data, server.resource_of(request))

    def query_authorization_code(self, code: str, client: store.ClientModel) -> store.CodeModel | None:
        return store.find_code(code, client.client_id)

    def delete_authorization_code(self, authorization_code: store.CodeModel) -> None:
        store.use_code(authorization_code)

    def authenticate_user(self, authorization_code: store.CodeModel) -> Any:
        return store.user(authorization_code.row.user_id)


class RefreshGrant(grants.RefreshTokenGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = ["none"]
    INCLUDE_NEW_REFRESH_TOKEN = True

    def authenticate_refresh_token(self, refresh_token: str) -> store.TokenModel | None:
        return store.find_refresh(refresh_token)

    def authenticate_user(self, refresh_token: store.TokenModel) -> Any:
        return store.user(refresh_token.row.user_id)

    def revoke_old_credential(self, refresh_token: store.TokenModel) -> None:
        store.rotate(refresh_token)


class Revocation(RevocationEndpoint):
    CLIENT_AUTH_METHODS = ["none"]

    def query_token(self, token_string: str, token_type_hint: str | None) -> store.TokenModel | None:
        return store.find_any(token_string)

    def revoke_token(self, token: store.TokenModel, request: OAuth2Request) -> None:
        store.revoke_family(token.row.family_id)


class _Claims(ClientMetadataClaims):
    """authlib's checks of client metadata, but for redirect URIs, which ``app.oauth.redirects``
    checks (authlib's check needs a host, refusing RFC 8252's ``com.example.app:/cb``)."""

    def validate_redirect_uris(self) -> None:
        return None


class Registration(ClientRegistrationEndpoint):
    """Open dynamic registration of public clients (``token_endpoint_auth_method`` none).

    The answer holds only what applies (RFC 7591 3.2.1): a public client gets no
    ``client_secret`` field at all, not a null one, which strict clients reject whole."""

    def __init__(self, server: Any = None) -> None:
        super().__init__(server, claims_classes=[_Claims])

    def authenticate_token(self, request: JsonRequest) -> str:
        return "anonymous"

    def extract_client_metadata(self, request: JsonRequest) -> dict[str, Any]:
        data = request.payload.data
        # This server issues no secrets, so a client that names no method is public
        # ("none"), not client_secret_basic, the default for servers that do.
        if data.get("token_endpoint_auth_method") is None:
            data["token_endpoint_auth_method"] = "none"
        application_type = data.get("application_type", "web")
        if application_type not in ("web", "native"):
            raise InvalidClientMetadataError("application_type must be web or native")
        uris = data.get("redirect_uris")
        if not isinstance(uris, list) or not uris:
            raise InvalidRedirectURIError("redirect_uris is required: a list of the client's redirect URIs")
        for uri in uris:
            problem = redirect_uri_problem(uri, native=application_type == "native")
            if problem:
                raise InvalidRedirectURIError(problem)
        metadata: dict[str, Any] = super().extract_client_metadata(request)
        metadata["application_type"] = application_type
        return metadata

    def generate_client_info(self, request: JsonRequest) -> dict[str, Any]:
        info: dict[str, Any] = super().generate_client_info(request)
        info.pop("client_secret", None)
        info.pop("client_secret_expires_at", None)
        return info

    def get_server_metadata(self) -> dict[str, Any]:
        server: OAuthServer = self.server
        return server.metadata()

    def generate_client_id(self, request: JsonRequest) -> str:
        return "bcc_" + secrets.token_urlsafe(18)

    def generate_client_secret(self, request: JsonRequest) -> None:
        return None

    def save_client(self, client_info: dict[str, Any], client_metadata: dict[str, Any], request: JsonRequest) -> Any:
        # RFC 7591 3.2.2: refusals of client metadata use its own error codes.
        if client_metadata.get("token_endpoint_auth_method") != "none":
            raise InvalidClientMetadataError("only public clients (token_endpoint_auth_method none) can register")
        metadata = {**client_metadata, "token_endpoint_auth_method": "none"}
        return store.add_client(client_info["client_id"], metadata, "registration").row


class OAuthServer(AuthorizationServer):
    def __init__(self, base_url: str) -> None:
        super().__init__(scopes_supported=sorted(ALL_SCOPES))
        self.base_url = base_url
        self.mcp_resource = f"{base_url}/api/mcp"
        self.resources = {self.mcp_resource, f"{base_url}/api/v1"}
        self.register_token_generator(
            "default",
            BearerTokenGenerator(
                access_token_generator=lambda *a, **k: ACCESS_PREFIX + secrets.token_urlsafe(32),
                refresh_token_generator=lambda *a, **k: REFRESH_PREFIX + secrets.token_urlsafe(32),
                expires_generator=lambda client, grant_type: int(store.ACCESS_TTL.total_seconds()),
            ),
        )
        self.register_grant(CodeGrant, [S256Challenge(required=True)])
        self.register_grant(RefreshGrant)
        self.register_endpoint(Revocation)
        self.register_endpoint(Registration)

    # --- what authlib asks of a server ------------------------------------------------------

    def query_client(self, client_id: str) -> store.ClientModel | None:
        return store.find_client(client_id)

    def save_token(self, token: dict[str, Any], request: OAuth2Request) -> None:
        if request.authorization_code is not None:
            code: store.CodeModel = request.authorization_code
            asked = request.payload.data.get("resource")
            if asked and asked != code.row.resource:
                raise InvalidTargetError("resource differs from the one authorized")
            family, resource = code.row.id, code.row.resource
        else:
            old: store.TokenModel = request.refresh_token
            family, resource = old.row.family_id, old.row.resource
        store.save_tokens(token, request.client.client_id, request.user.id, family, resource)

    def get_issuer(self) -> str:
        return self.base_url

    def send_signal(self, name: str, *args: Any, **kwargs: Any) -> None:
        return None

    def handle_response(self, status: int, body: Any, headers: Any) -> tuple[int, Any, list[tuple[str, str]]]:
        return status, body, list(headers)

    def create_oauth2_request(self, request: OAuth2Request) -> OAuth2Request:
        return request

    def create_json_request(self, request: JsonRequest) -> JsonRequest:
        return request

    # --- ours -------------------------------------------------------------------------------

    def resource_of(self, request: OAuth2Request) -> str:
        """The protected resource a grant is for (RFC 8707): one of ours, MCP by default."""
        resource = request.payload.data.get("resource") or self.mcp_resource
        if resource not in self.resources:
            raise InvalidTargetError(f"unknown resource; this server protects {', '.join(sorted(self.resources))}")
        return str(resource)

    def metadata(self) -> dict[str, Any]:
        """RFC 8414 authorization server metadata."""
        base = self.base_url
        return {
            "issuer": base,
            "authorization_endpoint": f"{base}/oauth/authorize",
            "token_endpoint": f"{base}/oauth/token",
            "registration_endpoint": f"{base}/oauth/register",
            "revocation_endpoint": f"{base}/oauth/revoke",
            "scopes_supported": sorted(ALL_SCOPES),
            "response_types_supported": ["code"],
            "response_modes_supported": ["query"],
            "grant_types_supported": ["authorization_code", "refresh_token"],
            "token_endpoint_auth_methods_supported": ["none"],
            "revocation_endpoint_auth_methods_supported": ["none"],
            "code_challenge_methods_supported": ["S256"],
            "authorization_response_iss_parameter_supported": True,
            "client_id_metadata_document_supported": True,
            "service_documentation": f"{base}/api/docs",
        }

    def protected_resource(self, resource: str) -> dict[str, Any]:
        """RFC 9728 protected resource metadata for one of our resources."""
        return {
            "resource": resource,
            "authorization_servers": [self.base_url],
            "scopes_supported": sorted(ALL_SCOPES),
            "bearer_methods_supported": ["header"],
            "resource_name": "Billcraft MCP" if resource == self.mcp_resource else "Billcraft REST API",
        }

    async def run(self, session: AsyncSession, work: Callable[[], T]) -> T:
        """Run synchronous authlib ``work`` with the storage hooks on ``session``."""
        return await store.run(session, work)


class _Request(OAuth2Request):
    """A request whose parameters came from the query string (GET) or the form (POST)."""

    def __init__(self, method: str, url: str, data: dict[str, str], headers: dict[str, str]) -> None:
        super().__init__(method, url, headers=headers)
        self.payload = BasicOAuth2Payload(data)
        self._params = data

    @property
    def args(self) -> dict[str, str]:
        return self._params if self.method == "GET" else {}

    @property
    def form(self) -> dict[str, str]:
        return self._params if self.method != "GET" else {}


def form_request(method: str, url: str, data: dict[str, str], headers: dict[str, str]) -> OAuth2Request:
    return _Request(method, url, data, headers)


class _Json(JsonPayload):
    def __init__(self, data: dict[str, Any]) -> None:
        self._data = data

    @property
    def data(self) -> dict[str, Any]:
        return self._data


def json_request(method: str, url: str, data: dict[str, Any], headers: dict[str, str]) -> JsonRequest:
    request = JsonRequest(method, url, headers=headers)
    request.payload = _Json(data)
    return request
