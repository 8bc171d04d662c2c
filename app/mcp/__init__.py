"""The MCP server: tool catalogue, tool calls on the domain services, and its transports
(Streamable HTTP and legacy SSE inside the web app, stdio for ``billcraft mcp``)."""
