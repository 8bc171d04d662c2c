"""Background work: PDF rendering in Chromium (and, to come, email delivery and the overdue
sweep on arq). It imports ``app.domain``; the domain never imports it."""
