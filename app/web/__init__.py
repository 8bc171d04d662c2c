"""The web face: server-rendered pages, Jinja templates and static assets."""
