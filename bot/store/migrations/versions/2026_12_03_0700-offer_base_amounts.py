"""offers in the base currency: base_amount, base_currency and the rate used

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03 07:00:00.000000

Residual CLV and budgets count base amounts (issue 19). Offers written before this revision
were all taken to be in the base currency, so their base amount is their amount at rate 1.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('offers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('base_amount', sa.Numeric(precision=18, scale=4), nullable=True))
        batch_op.add_column(sa.Column('base_currency', sa.String(length=3), nullable=True))
        batch_op.add_column(sa.Column('fx_rate', sa.Numeric(precision=24, scale=12), nullable=True))
    op.execute("UPDATE offers SET base_amount = amount, base_currency = currency, fx_rate = 1")


def downgrade() -> None:
    with op.batch_alter_table('offers', schema=None) as batch_op:
        batch_op.drop_column('fx_rate')
        batch_op.drop_column('base_currency')
        batch_op.drop_column('base_amount')
