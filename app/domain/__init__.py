"""The one service layer of Billcraft: accounts, workspaces, clients, invoices and stats.

It knows nothing of HTTP, MCP, HTML or arq: REST, MCP and the web pages all call it and
return the shapes it defines, so every rule (lifecycle, money, tenancy, scopes) lives here once.
"""
