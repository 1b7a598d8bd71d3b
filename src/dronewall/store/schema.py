"""The recording schema: one SQLAlchemy Core ``MetaData`` for SQLite and PostgreSQL (+ PostGIS).

Every table carries ``session_id``: one store holds many sessions (a ``serve`` run, a replay).
Times: ``t_s`` seconds since the session's scenario/site epoch (``sessions.epoch_utc``);
``wall_utc`` ISO 8601 UTC wall-clock time. Positions WGS84 degrees, metres; speeds m/s; money
EUR. NaN is stored as NULL (SQLite cannot store NaN) and read back as NaN.

Integrity: each step's rows (detections, track states, events, threats, recommendations,
engagements) are digested into ``steps.digest`` and chained (``steps.hash`` =
sha256(prev_hash + digest)); operator and admin actions are chained in ``audit``
(:mod:`dronewall.store.integrity`). The schema is created and upgraded by Alembic migrations
(``dronewall/store/migrations``); this module is the single definition they follow.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Float,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
)

metadata = MetaData()

#: Store key/value facts: schema anchors (``audit_head``), the first admin's creation.
meta = Table(
    "meta", metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)

sessions = Table(
    "sessions", metadata,
    Column("session_id", String(40), primary_key=True),
    Column("started_utc", String(40), nullable=False),
    Column("epoch_utc", String(40), nullable=False),
    Column("mode", String(16), nullable=False),          # scenario / replay
    Column("source", Text, nullable=False),              # scenario name, run dir, store
    Column("seed", Integer),
    Column("scenario_yaml", Text),                       # the scenario as run (rebuilds the chain)
    Column("config", Text, nullable=False),              # JSON: speed, record period, ...
    Column("last_seq", Integer, nullable=False, default=0),
    Column("last_t_s", Float),
    Column("head_hash", String(64), nullable=False),     # hash of the last step (chain head)
    Column("status", String(16), nullable=False),        # running / finished / interrupted
)

#: One row per chain step: how many rows it wrote, the digest of those rows, the chain hash.
steps = Table(
    "steps", metadata,
    Column("session_id", String(40), primary_key=True),
    Column("seq", Integer, primary_key=True),
    Column("t_s", Float, nullable=False),
    Column("wall_utc", String(40), nullable=False),
    Column("n_detections", Integer, nullable=False),
    Column("n_tracks", Integer, nullable=False),
    Column("digest", String(64), nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
)

#: The documented detection layout (docs/detections.md): z0..z3, upper triangle of R, aux.
DETECTION_FLOATS = (["z0", "z1", "z2", "z3"]
                    + [f"r{i}{j}" for i in range(4) for j in range(i, 4)]
                    + ["rcs_dbsm", "snr_db", "aux0", "aux1", "aux2"])

detections = Table(
    "detections", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("session_id", String(40), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("t_s", Float, nullable=False),
    Column("sensor_id", String(64), nullable=False),
    Column("meas_kind", Integer, nullable=False),
    *[Column(c, Float) for c in DETECTION_FLOATS],
    Column("class_label", Integer, nullable=False),
    Column("rf_protocol", Integer, nullable=False),
    Column("identity", String(32), nullable=False),
    Column("callsign", String(16), nullable=False),
    Column("truth_id", Integer, nullable=False),
)
Index("ix_detections_session_seq", detections.c.session_id, detections.c.seq)

#: Decimated track history (every ``record_period_s`` per track, and at first confirmation).
track_states = Table(
    "track_states", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("session_id", String(40), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("t_s", Float, nullable=False),
    Column("track_id", Integer, nullable=False),
    Column("lat_deg", Float, nullable=False),
    Column("lon_deg", Float, nullable=False),
    Column("alt_m", Float, nullable=False),
    Column("ve_mps", Float, nullable=False),
    Column("vn_mps", Float, nullable=False),
    Column("vu_mps", Float, nullable=False),
    Column("sigma_h_m", Float, nullable=False),
    Column("cov_en", LargeBinary, nullable=False),      # 3 float64: Pee, Pen, Pnn (m^2)
    Column("cls", String(24), nullable=False),
    Column("p_cls", Float, nullable=False),
    Column("evidence", String(64), nullable=False),
    Column("identity", String(32), nullable=False),
    Column("trust", Integer, nullable=False),
    Column("hits", Integer, nullable=False),
    Column("t_update_s", Float, nullable=False),
)
Index("ix_track_states_session_t", track_states.c.session_id, track_states.c.t_s)
Index("ix_track_states_track", track_states.c.session_id, track_states.c.track_id,
      track_states.c.t_s)

events = Table(
    "events", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("session_id", String(40), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("t_s", Float, nullable=False),
    Column("kind", String(16), nullable=False),          # warning / entry / exit / violation
    Column("track_id", Integer, nullable=False),
    Column("zone_id", String(64), nullable=False),
    Column("zone_kind", String(24), nullable=False),
    Column("payload", Text, nullable=False),             # the event's JSON (docs/airspace.md)
)
Index("ix_events_session_t", events.c.session_id, events.c.t_s)

#: The ranked threats (top ``THREATS_RECORDED``) at each recorded step.
threats = Table(
    "threats", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("session_id", String(40), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("t_s", Float, nullable=False),
    Column("rank", Integer, nullable=False),
    Column("track_id", Integer, nullable=False),
    Column("score", Float, nullable=False),
    Column("value_at_risk_eur", Float),
    Column("asset", String(64), nullable=False),
    Column("t_go_s", Float),
    Column("p_reach", Float),
    Column("violation_p", Float),
)
Index("ix_threats_session_t", threats.c.session_id, threats.c.t_s)

#: Engagement recommendations put to the operator (``chain.approval.Proposal``).
recommendations = Table(
    "recommendations", metadata,
    Column("session_id", String(40), primary_key=True),
    Column("rec_id", String(64), primary_key=True),
    Column("seq", Integer, nullable=False),
    Column("track_id", Integer, nullable=False),
    Column("effector_id", String(64), nullable=False),
    Column("effector_type", String(32), nullable=False),
    Column("cost_eur", Float, nullable=False),
    Column("pk", Float, nullable=False),
    Column("value_eur", Float, nullable=False),
    Column("value_saved_eur", Float, nullable=False),
    Column("t_proposed_s", Float, nullable=False),
    Column("t_decide_s", Float, nullable=False),
    Column("deadline_s", Float, nullable=False),
    Column("text", Text, nullable=False),
    Column("track_state", Text, nullable=False),         # JSON: the track when proposed
)

#: Operator decisions. Committed (with their audit entry) before the API acknowledges them.
decisions = Table(
    "decisions", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("session_id", String(40), nullable=False),
    Column("rec_id", String(64), nullable=False),
    Column("track_id", Integer, nullable=False),
    Column("approved", Boolean, nullable=False),
    Column("t_s", Float, nullable=False),
    Column("wall_utc", String(40), nullable=False),
    Column("user_name", String(64), nullable=False),
    Column("role", String(16), nullable=False),
    Column("reason", Text, nullable=False),
    Column("evidence", Text, nullable=False),            # JSON: explanation + track state
    Column("audit_seq", Integer, nullable=False),
)
Index("ix_decisions_session", decisions.c.session_id, decisions.c.rec_id)

#: What the engagement stage did with approved recommendations (committed, launched, held,
#: retasked, due) and expired proposals.
engagements = Table(
    "engagements", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("session_id", String(40), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("t_s", Float, nullable=False),
    Column("kind", String(16), nullable=False),
    Column("track_id", Integer, nullable=False),
    Column("effector_id", String(64), nullable=False),
    Column("payload", Text, nullable=False),
)
Index("ix_engagements_session_t", engagements.c.session_id, engagements.c.t_s)

#: Hash-chained log of decisions and configuration changes.
audit = Table(
    "audit", metadata,
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("wall_utc", String(40), nullable=False),
    Column("actor", String(64), nullable=False),
    Column("role", String(16), nullable=False),
    Column("action", String(48), nullable=False),
    Column("object", String(128), nullable=False),
    Column("details", Text, nullable=False),             # canonical JSON
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
)

users = Table(
    "users", metadata,
    Column("user_id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(64), nullable=False, unique=True),
    Column("role", String(16), nullable=False),          # viewer / operator / admin
    Column("token_hash", String(256), nullable=False),   # argon2id of the token's secret
    Column("created_utc", String(40), nullable=False),
    Column("revoked", Boolean, nullable=False, default=False),
)

#: Tables whose rows belong to a step (digested into ``steps.digest``), in digest order.
STEP_TABLES = ("detections", "track_states", "events", "threats", "recommendations",
               "engagements")
