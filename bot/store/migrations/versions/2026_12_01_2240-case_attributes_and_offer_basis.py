"""case attributes on tickets; goodwill or entitlement on offers and decisions

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 22:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.add_column(sa.Column('attributes', sa.JSON(), nullable=True))
    with op.batch_alter_table('offers', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('basis', sa.String(length=20), server_default='goodwill', nullable=False)
        )
    with op.batch_alter_table('decisions', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('basis', sa.String(length=20), server_default='goodwill', nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table('decisions', schema=None) as batch_op:
        batch_op.drop_column('basis')
    with op.batch_alter_table('offers', schema=None) as batch_op:
        batch_op.drop_column('basis')
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.drop_column('attributes')
