"""Recording sizes are 64-bit: uploads reach 2 GiB, one byte past PostgreSQL's 32-bit INTEGER.

SQLite stores every INTEGER in up to 8 bytes already, so there is nothing to change there (and copying
the recordings table, SQLite's only way to alter a column, would gain nothing).

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        op.alter_column("recordings", "size_bytes", type_=sa.BigInteger(), existing_nullable=False)


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        op.alter_column("recordings", "size_bytes", type_=sa.Integer(), existing_nullable=False)
