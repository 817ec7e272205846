"""The migration the code expects; a test keeps it equal to Alembic's head."""

SCHEMA_HEAD = "0008"
