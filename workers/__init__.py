"""Background work on arq: email delivery (with retries and tracking), the outbox relay and
the overdue sweep. It imports ``app.domain`` and ``app.documents``; the domain never imports
it."""
