"""API fuzzing: schemathesis against the OpenAPI document of a served Billcraft."""
