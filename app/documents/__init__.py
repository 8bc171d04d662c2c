"""Documents made from an invoice: the printable HTML (``html``), its PDF printed by
Chromium (``pdf``), and the email bodies. The worker, REST, MCP and the web all call these;
none of them owns the layout."""
