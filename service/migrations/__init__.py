"""Alembic migrations of the service database (env.py, versions/); run by ``service.migrate``, never by hand-written DDL."""
