"""Persistence: SQLAlchemy models, the database configuration and Alembic migrations."""
