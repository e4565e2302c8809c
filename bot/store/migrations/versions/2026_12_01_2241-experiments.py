"""experiments and exposures

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 22:40:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import bot.store._models


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('experiments',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('salt', sa.String(length=64), nullable=False),
    sa.Column('arms', sa.JSON(), nullable=False),
    sa.Column('metric_window_days', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('started_at', bot.store._models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('stopped_at', bot.store._models.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_experiments')),
    sa.UniqueConstraint('name', name=op.f('uq_experiments_name'))
    )
    op.create_table('exposures',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('experiment_id', sa.String(length=32), nullable=False),
    sa.Column('ticket_id', sa.String(length=32), nullable=False),
    sa.Column('customer_id', sa.String(length=200), nullable=False),
    sa.Column('arm', sa.String(length=64), nullable=False),
    sa.Column('policy_version', sa.String(length=80), nullable=False),
    sa.Column('created_at', bot.store._models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['experiment_id'], ['experiments.id'], name=op.f('fk_exposures_experiment_id_experiments')),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_exposures_ticket_id_tickets')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_exposures')),
    sa.UniqueConstraint('ticket_id', name=op.f('uq_exposures_ticket_id'))
    )
    op.create_index('ix_exposures_experiment_arm', 'exposures', ['experiment_id', 'arm'], unique=False)
    op.create_index(op.f('ix_exposures_customer_id'), 'exposures', ['customer_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_exposures_customer_id'), table_name='exposures')
    op.drop_index('ix_exposures_experiment_arm', table_name='exposures')
    op.drop_table('exposures')
    op.drop_table('experiments')
