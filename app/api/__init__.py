"""The REST API (``/api/v1``): thin controllers over the domain, msgspec in and out."""
