"""The MCP server on the SDK's low-level ``Server``: lists the catalogue and runs each tool
call in its own unit of work. Every refusal is a tool error (``isError``) that says what was
wrong and what is allowed; nothing a caller sends becomes a crash. The one protocol error of
tools is the specification's own for a tool that does not exist: JSON-RPC -32602, naming
the tools. Also the seed workflows as prompts (``app.mcp.prompts``), and invoices and
clients as resources with completions (``app.mcp.resources``), whose refusals are JSON-RPC
errors (-32002 for a resource that is not there)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from importlib.metadata import version
from typing import Any, TypeVar

import mcp_types as types
import msgspec
import structlog
from mcp.server import Server, ServerRequestContext
from mcp.shared.exceptions import MCPError
from mcp_types import INVALID_PARAMS
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.domain.access import Channel, Principal
from app.domain.billing import Billing
from app.domain.errors import DomainError, Unauthenticated
from app.domain.outputs import PdfMaker
from app.mcp import prompts, resources
from app.mcp.calls import Call
from app.mcp.catalogue import tools_for
from app.mcp.confirm import Confirmer

log = structlog.get_logger("billcraft.mcp")
T = TypeVar("T")
RESOURCE_NOT_FOUND = -32002  # the specification's code for a resource that is not there

# Finds the caller of one tool call: from the HTTP request (authenticated by the web app's
# middleware) or, over stdio, from BILLCRAFT_TOKEN through the same verifier.
PrincipalResolver = Callable[[ServerRequestContext[Any, Any], AsyncSession], Awaitable[Principal]]
SessionMaker = Callable[[], AsyncSession]

INSTRUCTIONS = (
    "Billcraft keeps clients and invoices in workspaces; every call names its workspace by company_slug "
    "(the workspace tool lists yours). Invoices are drafts until sent; the server computes all totals, "
    "enforces the lifecycle and refuses what is not allowed, saying which actions are. Use dry_run to "
    "preview a change and idempotency_key to retry safely."
)


def http_principal(ctx: ServerRequestContext[Any, Any], _: AsyncSession) -> Awaitable[Principal]:
    """The principal that the web app's authentication put on the HTTP request."""

    async def resolve() -> Principal:
        user = ctx.request.scope.get("user") if ctx.request is not None else None
        if not isinstance(user, Principal):
            raise Unauthenticated("this MCP request carries no authenticated user")
        return user

    return resolve()


def token_principal(token: str) -> PrincipalResolver:
    """For stdio: the token is checked again on every call, so revoking it takes effect."""

    async def resolve(_: ServerRequestContext[Any, Any], session: AsyncSession) -> Principal:
        return await Billing(session).accounts.principal_for_token(token, Channel.MCP)

    return resolve


def to_json(value: Any) -> Any:
    return msgspec.to_builtins(value)


def success(value: Any) -> types.CallToolResult | types.InputRequiredResult:
    if isinstance(value, types.CallToolResult | types.InputRequiredResult):
        return value  # a tool that shapes its own content (the PDF), or a question for the person
    if isinstance(value, DomainError):  # a refusal whose unit of work is kept (a declined confirmation)
        return failure(value.code, value.detail, **value.extra)
    data = to_json(value)
    return types.CallToolResult(
        # The same JSON as text, compact (msgspec; fewer tokens for the model than json.dumps's).
        content=[types.TextContent(type="text", text=msgspec.json.encode(data).decode())],
        structured_content=data,
    )


def failure(code: str, detail: str, **extra: Any) -> types.CallToolResult:
    error = {"code": code, "detail": detail, **to_json(extra)}
    text = f"Error ({code}): {detail}"
    return types.CallToolResult(
        content=[types.TextContent(type="text", text=text)],
        structured_content={"error": error},
        is_error=True,
    )


def build_server(
    settings: Settings, sessions: SessionMaker, resolve: PrincipalResolver, pdfs: PdfMaker | None
) -> Server[Any]:
    """``pdfs`` is None where nothing is printed (listing the catalogue)."""
    tools = tools_for(settings.mcp_tools)
    listing = types.ListToolsResult(tools=[spec.tool() for spec in tools.values()])
    # The SDK checks a call's Mcp-Param-* headers against its tool's input schema: given
    # them by name, it no longer lists and serialises every tool on every call.
    input_schemas = {tool.name: tool.input_schema for tool in listing.tools}

    async def list_tools(
        ctx: ServerRequestContext[Any, Any], params: types.PaginatedRequestParams | None
    ) -> types.ListToolsResult:
        return listing

    async def call_tool(
        ctx: ServerRequestContext[Any, Any], params: types.CallToolRequestParams
    ) -> types.CallToolResult | types.InputRequiredResult:
        spec = tools.get(params.name)
        if spec is None:
            # The specification's answer for a tool that is not there: a protocol error
            # (invalid params), not a tool result a model would read as the tool's own.
            raise MCPError(INVALID_PARAMS, f"unknown tool {params.name!r}; tools: {', '.join(tools)}")
        # A client in OpenAI's strict mode sends every property, null for those it means to leave out.
        args = {name: value for name, value in (params.arguments or {}).items() if value is not None}
        async with sessions() as session:
            try:
                principal = (await resolve(ctx, session)).via(Channel.MCP)
                confirmer = Confirmer(
                    channel="mcp_http" if ctx.request is not None else "mcp_stdio", secret=settings.secret_key,
                    ctx=ctx, input_responses=params.input_responses, request_state=params.request_state,
                )  # fmt: skip
                call = Call(
                    Billing(session, base_url=settings.base_url), principal, spec.name, args,
                    pdfs=pdfs, link_secret=settings.secret_key, confirmer=confirmer,
                )  # fmt: skip
                result = await spec.run(call)
                await session.commit()
                return success(result)
            except DomainError as exc:
                await session.rollback()
                return failure(exc.code, exc.detail, **exc.extra)
            except Exception:
                await session.rollback()
                log.exception("tool call failed", tool=params.name)
                return failure("internal_error", "something went wrong on our side; nothing was changed")

    async def as_caller(ctx: ServerRequestContext[Any, Any], work: Callable[[Billing, Principal], Awaitable[T]]) -> T:
        """A read of prompts, resources or completions, as the caller, in a unit of work of
        its own; a refusal is a JSON-RPC error (these methods have no tool-error result)."""
        async with sessions() as session:
            try:
                principal = (await resolve(ctx, session)).via(Channel.MCP)
                return await work(Billing(session, base_url=settings.base_url), principal)
            except DomainError as exc:
                code = RESOURCE_NOT_FOUND if exc.status == 404 else INVALID_PARAMS
                raise MCPError(code, exc.detail, exc.to_dict()) from None
            finally:
                await session.rollback()  # reads only

    async def list_prompts(
        ctx: ServerRequestContext[Any, Any], params: types.PaginatedRequestParams | None
    ) -> types.ListPromptsResult:
        return types.ListPromptsResult(prompts=prompts.prompts())

    async def get_prompt(ctx: ServerRequestContext[Any, Any], params: types.GetPromptRequestParams) -> Any:
        try:
            return prompts.render(params.name, params.arguments)
        except DomainError as exc:
            raise MCPError(INVALID_PARAMS, exc.detail, exc.to_dict()) from None

    async def list_resource_templates(
        ctx: ServerRequestContext[Any, Any], params: types.PaginatedRequestParams | None
    ) -> types.ListResourceTemplatesResult:
        return types.ListResourceTemplatesResult(resource_templates=resources.TEMPLATES)

    async def list_resources(
        ctx: ServerRequestContext[Any, Any], params: types.PaginatedRequestParams | None
    ) -> types.ListResourcesResult:
        listed = await as_caller(ctx, resources.recent)
        return types.ListResourcesResult(resources=listed)

    async def read_resource(ctx: ServerRequestContext[Any, Any], params: types.ReadResourceRequestParams) -> Any:
        return await as_caller(
            ctx, lambda billing, principal: resources.read(billing, principal, str(params.uri), pdfs)
        )

    async def completion(
        ctx: ServerRequestContext[Any, Any], params: types.CompleteRequestParams
    ) -> types.CompleteResult:
        context = dict(params.context.arguments or {}) if params.context else {}
        values = await as_caller(
            ctx,
            lambda billing, principal: resources.complete(
                billing, principal, params.argument.name, params.argument.value, context
            ),
        )
        return types.CompleteResult(completion=types.Completion(values=values, total=len(values), has_more=False))

    return Server(
        "billcraft",
        version=version("billcraft"),
        title="Billcraft",
        instructions=INSTRUCTIONS,
        on_list_tools=list_tools,
        on_call_tool=call_tool,
        on_list_prompts=list_prompts,
        on_get_prompt=get_prompt,
        on_list_resources=list_resources,
        on_list_resource_templates=list_resource_templates,
        on_read_resource=read_resource,
        on_completion=completion,
        get_tool_input_schema=input_schemas.get,
    )
