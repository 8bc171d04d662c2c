"""A bounded load run on loopback: REST and MCP together against one served Billcraft."""
