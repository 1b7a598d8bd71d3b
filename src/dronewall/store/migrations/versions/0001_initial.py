"""Initial schema: sessions, steps, detections, track states, events, threats,
recommendations, decisions, engagements, audit, users (``dronewall.store.schema``); on
PostgreSQL also PostGIS and a generated point geometry on the track history with a GiST index.

Revision ID: 0001
Revises:
Create Date: 2026-12-01 23:12:13
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('audit',
    sa.Column('seq', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('wall_utc', sa.String(length=40), nullable=False),
    sa.Column('actor', sa.String(length=64), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('action', sa.String(length=48), nullable=False),
    sa.Column('object', sa.String(length=128), nullable=False),
    sa.Column('details', sa.Text(), nullable=False),
    sa.Column('prev_hash', sa.String(length=64), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('seq')
    )
    op.create_table('decisions',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('session_id', sa.String(length=40), nullable=False),
    sa.Column('rec_id', sa.String(length=64), nullable=False),
    sa.Column('track_id', sa.Integer(), nullable=False),
    sa.Column('approved', sa.Boolean(), nullable=False),
    sa.Column('t_s', sa.Float(), nullable=False),
    sa.Column('wall_utc', sa.String(length=40), nullable=False),
    sa.Column('user_name', sa.String(length=64), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('evidence', sa.Text(), nullable=False),
    sa.Column('audit_seq', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('decisions', schema=None) as batch_op:
        batch_op.create_index('ix_decisions_session', ['session_id', 'rec_id'], unique=False)

    op.create_table('detections',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('session_id', sa.String(length=40), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('t_s', sa.Float(), nullable=False),
    sa.Column('sensor_id', sa.String(length=64), nullable=False),
    sa.Column('meas_kind', sa.Integer(), nullable=False),
    sa.Column('z0', sa.Float(), nullable=True),
    sa.Column('z1', sa.Float(), nullable=True),
    sa.Column('z2', sa.Float(), nullable=True),
    sa.Column('z3', sa.Float(), nullable=True),
    sa.Column('r00', sa.Float(), nullable=True),
    sa.Column('r01', sa.Float(), nullable=True),
    sa.Column('r02', sa.Float(), nullable=True),
    sa.Column('r03', sa.Float(), nullable=True),
    sa.Column('r11', sa.Float(), nullable=True),
    sa.Column('r12', sa.Float(), nullable=True),
    sa.Column('r13', sa.Float(), nullable=True),
    sa.Column('r22', sa.Float(), nullable=True),
    sa.Column('r23', sa.Float(), nullable=True),
    sa.Column('r33', sa.Float(), nullable=True),
    sa.Column('rcs_dbsm', sa.Float(), nullable=True),
    sa.Column('snr_db', sa.Float(), nullable=True),
    sa.Column('aux0', sa.Float(), nullable=True),
    sa.Column('aux1', sa.Float(), nullable=True),
    sa.Column('aux2', sa.Float(), nullable=True),
    sa.Column('class_label', sa.Integer(), nullable=False),
    sa.Column('rf_protocol', sa.Integer(), nullable=False),
    sa.Column('identity', sa.String(length=32), nullable=False),
    sa.Column('callsign', sa.String(length=16), nullable=False),
    sa.Column('truth_id', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('detections', schema=None) as batch_op:
        batch_op.create_index('ix_detections_session_seq', ['session_id', 'seq'], unique=False)

    op.create_table('engagements',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('session_id', sa.String(length=40), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('t_s', sa.Float(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('track_id', sa.Integer(), nullable=False),
    sa.Column('effector_id', sa.String(length=64), nullable=False),
    sa.Column('payload', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('engagements', schema=None) as batch_op:
        batch_op.create_index('ix_engagements_session_t', ['session_id', 't_s'], unique=False)

    op.create_table('events',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('session_id', sa.String(length=40), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('t_s', sa.Float(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('track_id', sa.Integer(), nullable=False),
    sa.Column('zone_id', sa.String(length=64), nullable=False),
    sa.Column('zone_kind', sa.String(length=24), nullable=False),
    sa.Column('payload', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.create_index('ix_events_session_t', ['session_id', 't_s'], unique=False)

    op.create_table('meta',
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('value', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('key')
    )
    op.create_table('recommendations',
    sa.Column('session_id', sa.String(length=40), nullable=False),
    sa.Column('rec_id', sa.String(length=64), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('track_id', sa.Integer(), nullable=False),
    sa.Column('effector_id', sa.String(length=64), nullable=False),
    sa.Column('effector_type', sa.String(length=32), nullable=False),
    sa.Column('cost_eur', sa.Float(), nullable=False),
    sa.Column('pk', sa.Float(), nullable=False),
    sa.Column('value_eur', sa.Float(), nullable=False),
    sa.Column('value_saved_eur', sa.Float(), nullable=False),
    sa.Column('t_proposed_s', sa.Float(), nullable=False),
    sa.Column('t_decide_s', sa.Float(), nullable=False),
    sa.Column('deadline_s', sa.Float(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('track_state', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('session_id', 'rec_id')
    )
    op.create_table('sessions',
    sa.Column('session_id', sa.String(length=40), nullable=False),
    sa.Column('started_utc', sa.String(length=40), nullable=False),
    sa.Column('epoch_utc', sa.String(length=40), nullable=False),
    sa.Column('mode', sa.String(length=16), nullable=False),
    sa.Column('source', sa.Text(), nullable=False),
    sa.Column('seed', sa.Integer(), nullable=True),
    sa.Column('scenario_yaml', sa.Text(), nullable=True),
    sa.Column('config', sa.Text(), nullable=False),
    sa.Column('last_seq', sa.Integer(), nullable=False),
    sa.Column('last_t_s', sa.Float(), nullable=True),
    sa.Column('head_hash', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.PrimaryKeyConstraint('session_id')
    )
    op.create_table('steps',
    sa.Column('session_id', sa.String(length=40), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('t_s', sa.Float(), nullable=False),
    sa.Column('wall_utc', sa.String(length=40), nullable=False),
    sa.Column('n_detections', sa.Integer(), nullable=False),
    sa.Column('n_tracks', sa.Integer(), nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('prev_hash', sa.String(length=64), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('session_id', 'seq')
    )
    op.create_table('threats',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('session_id', sa.String(length=40), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('t_s', sa.Float(), nullable=False),
    sa.Column('rank', sa.Integer(), nullable=False),
    sa.Column('track_id', sa.Integer(), nullable=False),
    sa.Column('score', sa.Float(), nullable=False),
    sa.Column('value_at_risk_eur', sa.Float(), nullable=True),
    sa.Column('asset', sa.String(length=64), nullable=False),
    sa.Column('t_go_s', sa.Float(), nullable=True),
    sa.Column('p_reach', sa.Float(), nullable=True),
    sa.Column('violation_p', sa.Float(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('threats', schema=None) as batch_op:
        batch_op.create_index('ix_threats_session_t', ['session_id', 't_s'], unique=False)

    op.create_table('track_states',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('session_id', sa.String(length=40), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('t_s', sa.Float(), nullable=False),
    sa.Column('track_id', sa.Integer(), nullable=False),
    sa.Column('lat_deg', sa.Float(), nullable=False),
    sa.Column('lon_deg', sa.Float(), nullable=False),
    sa.Column('alt_m', sa.Float(), nullable=False),
    sa.Column('ve_mps', sa.Float(), nullable=False),
    sa.Column('vn_mps', sa.Float(), nullable=False),
    sa.Column('vu_mps', sa.Float(), nullable=False),
    sa.Column('sigma_h_m', sa.Float(), nullable=False),
    sa.Column('cov_en', sa.LargeBinary(), nullable=False),
    sa.Column('cls', sa.String(length=24), nullable=False),
    sa.Column('p_cls', sa.Float(), nullable=False),
    sa.Column('evidence', sa.String(length=64), nullable=False),
    sa.Column('identity', sa.String(length=32), nullable=False),
    sa.Column('trust', sa.Integer(), nullable=False),
    sa.Column('hits', sa.Integer(), nullable=False),
    sa.Column('t_update_s', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('track_states', schema=None) as batch_op:
        batch_op.create_index('ix_track_states_session_t', ['session_id', 't_s'], unique=False)
        batch_op.create_index('ix_track_states_track', ['session_id', 'track_id', 't_s'],
                              unique=False)

    op.create_table('users',
    sa.Column('user_id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('token_hash', sa.String(length=256), nullable=False),
    sa.Column('created_utc', sa.String(length=40), nullable=False),
    sa.Column('revoked', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('user_id'),
    sa.UniqueConstraint('name')
    )

    if op.get_bind().dialect.name == "postgresql":
        _postgis_upgrade()


def _postgis_upgrade() -> None:
    """PostGIS: a generated WGS84 point of every recorded track state, GiST-indexed."""
    op.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    op.execute("ALTER TABLE track_states ADD COLUMN geom geometry(Point, 4326) GENERATED "
               "ALWAYS AS (ST_SetSRID(ST_MakePoint(lon_deg, lat_deg), 4326)) STORED")
    op.execute("CREATE INDEX ix_track_states_geom ON track_states USING gist (geom)")


def downgrade() -> None:
    op.drop_table('users')
    with op.batch_alter_table('track_states', schema=None) as batch_op:
        batch_op.drop_index('ix_track_states_track')
        batch_op.drop_index('ix_track_states_session_t')

    op.drop_table('track_states')
    with op.batch_alter_table('threats', schema=None) as batch_op:
        batch_op.drop_index('ix_threats_session_t')

    op.drop_table('threats')
    op.drop_table('steps')
    op.drop_table('sessions')
    op.drop_table('recommendations')
    op.drop_table('meta')
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.drop_index('ix_events_session_t')

    op.drop_table('events')
    with op.batch_alter_table('engagements', schema=None) as batch_op:
        batch_op.drop_index('ix_engagements_session_t')

    op.drop_table('engagements')
    with op.batch_alter_table('detections', schema=None) as batch_op:
        batch_op.drop_index('ix_detections_session_seq')

    op.drop_table('detections')
    with op.batch_alter_table('decisions', schema=None) as batch_op:
        batch_op.drop_index('ix_decisions_session')

    op.drop_table('decisions')
    op.drop_table('audit')
