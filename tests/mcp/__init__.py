"""Tests of the MCP server over its real transports."""
