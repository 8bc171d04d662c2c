// The official MCP TypeScript SDK's client asks Billcraft to send an invoice, as a person's
// assistant would, and answers the confirmation the server asks for.
//
// Usage: node confirm_flow.mjs '<json>' where the JSON holds
//   transport: "stdio" (spawns `command` with `env`) or "http" (`url`, `token`)
//   answer:    "accept", "decline" or "none" (the client declares no elicitation)
//   arguments: the `invoice` tool's arguments
// Prints one JSON object: what the tool answered and every question the person was shown.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ElicitRequestSchema } from '@modelcontextprotocol/sdk/types.js';

const config = JSON.parse(process.argv[2]);
const asked = [];
const capabilities = config.answer === 'none' ? {} : { elicitation: {} };
const client = new Client({ name: 'billcraft-ci-typescript', version: '1.0.0' }, { capabilities });

if (config.answer !== 'none') {
  client.setRequestHandler(ElicitRequestSchema, async request => {
    asked.push({ message: request.params.message, schema: request.params.requestedSchema });
    return config.answer === 'accept' ? { action: 'accept', content: { confirm: true } } : { action: 'decline' };
  });
}

const transport =
  config.transport === 'stdio'
    ? new StdioClientTransport({ command: config.command, args: ['mcp'], env: config.env, stderr: 'ignore' })
    : new StreamableHTTPClientTransport(new URL(config.url), {
        requestInit: { headers: { Authorization: `Bearer ${config.token}` } },
      });

await client.connect(transport);
try {
  const result = await client.callTool({ name: 'invoice', arguments: config.arguments });
  console.log(
    JSON.stringify({
      protocol: transport.protocolVersion ?? null,
      isError: Boolean(result.isError),
      structured: result.structuredContent ?? null,
      asked,
    }),
  );
} finally {
  await client.close();
}
