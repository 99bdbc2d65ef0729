"""The database model: organisation, people and roles, cases and their history."""
from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any, Optional
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context
from flask_login import UserMixin
from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    and_,
    event,
    func,
    or_,
    select,
    text,
)
from sqlalchemy.ext.hybrid import hybrid_method
from sqlalchemy.orm import (
    Mapped,
    Session,
    aliased,
    backref,
    column_property,
    mapped_column,
    relationship,
)
from sqlalchemy.types import DateTime, TypeDecorator

from workflow.platform.extensions import db
from workflow.platform.passwords import hash_password, verify_password

TITLE_MAX = 200
TEXT_MAX = 5000


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC datetimes on every database (SQLite stores them naive)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Optional[datetime], dialect: Any) -> Optional[datetime]:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use an aware UTC datetime")
        return value.astimezone(timezone.utc)

    def process_result_value(self, value: Optional[datetime], dialect: Any) -> Optional[datetime]:
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value


class Region(db.Model):
    __tablename__ = "regions"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    # Whether approved and closed cases are shown on the public transparency page.
    public_page: Mapped[bool] = mapped_column(default=False)
    # The registry's diarienummer format (a regular expression) and an example of it; None:
    # config/settings.toml [decisions] (docs/decisions.md).
    diarienummer_pattern: Mapped[Optional[str]] = mapped_column(String(200))
    diarienummer_example: Mapped[Optional[str]] = mapped_column(String(60))

    departments: Mapped[list["Department"]] = relationship(back_populates="region",
                                                           order_by="Department.name")


class Department(db.Model):
    """A förvaltning. The nullable settings override the configuration files' defaults
    (see organisation/admin.py); None means "use the file's value"."""

    __tablename__ = "departments"
    __table_args__ = (
        UniqueConstraint("region_id", "name"),
        CheckConstraint("yearly_budget_sek IS NULL OR yearly_budget_sek >= 0",
                        name="yearly_budget_not_negative"),
        CheckConstraint("yearly_hours IS NULL OR yearly_hours >= 0",
                        name="yearly_hours_not_negative"),
        CheckConstraint("hourly_cost_sek IS NULL OR hourly_cost_sek >= 0",
                        name="hourly_cost_not_negative"),
        CheckConstraint("discount_rate_bp IS NULL OR discount_rate_bp BETWEEN 0 AND 2000",
                        name="discount_rate_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"))
    name: Mapped[str] = mapped_column(String(200))
    delegation_limit_sek: Mapped[Optional[int]] = mapped_column(BigInteger)
    # The political committee (nämnd) that decides the förvaltning's larger investments.
    committee_name: Mapped[Optional[str]] = mapped_column(String(200))
    # The names of its digitaliseringsråd and ledningsgrupp (None: the generic name).
    council_name: Mapped[Optional[str]] = mapped_column(String(200))
    management_group_name: Mapped[Optional[str]] = mapped_column(String(200))
    # Yearly development capacity (config/prioritisation.toml [capacity] by default).
    yearly_budget_sek: Mapped[Optional[int]] = mapped_column(BigInteger)
    yearly_hours: Mapped[Optional[int]] = mapped_column(BigInteger)
    # The nyttokalkyl's hourly cost and discount rate (basis points: 300 = 3 %).
    hourly_cost_sek: Mapped[Optional[int]] = mapped_column(BigInteger)
    discount_rate_bp: Mapped[Optional[int]]
    # Target direction balance in whole percent per quadrant, e.g. {"efficiency_internal": 40}.
    target_balance: Mapped[Optional[dict[str, int]]] = mapped_column(JSON)
    closed_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)

    region: Mapped[Region] = relationship(back_populates="departments")
    units: Mapped[list["Unit"]] = relationship(back_populates="department", order_by="Unit.name")

    @property
    def is_closed(self) -> bool:
        return self.closed_at is not None


class Unit(db.Model):
    """An enhet within a förvaltning; its manager holds the APT."""

    __tablename__ = "units"
    __table_args__ = (UniqueConstraint("department_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    name: Mapped[str] = mapped_column(String(200))
    # A closed unit keeps its cases and history but takes no new ideas, meetings or roles.
    closed_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)

    department: Mapped[Department] = relationship(back_populates="units")

    @property
    def is_closed(self) -> bool:
        return self.closed_at is not None


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    email: Mapped[Optional[str]] = mapped_column(String(254))
    password_hash: Mapped[Optional[str]] = mapped_column(String(255))
    # Single sign-on (workflow/people/sso.py): what the organisation's directory calls the person
    # (OIDC_MATCH=external_id), and the provider's "issuer sub", linked at the first SSO login.
    external_id: Mapped[Optional[str]] = mapped_column(String(200), unique=True)
    external_subject: Mapped[Optional[str]] = mapped_column(String(512), unique=True)
    is_active_user: Mapped[bool] = mapped_column(default=True)
    # Kept in the session cookie at login and compared on every request; logging out or a new
    # password raises it, so every copy of an older session cookie stops working.
    session_generation: Mapped[int] = mapped_column(default=0, server_default="0")
    # The interface language the person picked in the header ("sv", "en"; None: never picked).
    # Restored at login when the session has none; their emails are written in it.
    language: Mapped[Optional[str]] = mapped_column(String(10))
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"))

    region: Mapped[Region] = relationship()
    # Every assignment, past, current and future; access checks read ``roles``.
    role_assignments: Mapped[list["RoleAssignment"]] = relationship(
        back_populates="user", cascade="all, delete-orphan", order_by="RoleAssignment.id")

    @property
    def roles(self) -> "CurrentRoles":
        """The role assignments valid today in the organisation's time zone. Every access
        check reads this, so a dated assignment (a stand-in) grants nothing before its
        ``valid_from`` or after its ``valid_to``."""
        today = local_today()
        return CurrentRoles(self, [a for a in self.role_assignments if a.valid_on(today)])

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.is_active_user

    def set_password(self, password: str) -> None:
        self.password_hash = hash_password(password)

    def check_password(self, password: str) -> bool:
        return verify_password(self.password_hash, password)


DEFAULT_TIME_ZONE = "Europe/Stockholm"


def local_today() -> date:
    """Today in the organisation's time zone, in which role assignments are dated."""
    zone = current_app.config.get("BABEL_DEFAULT_TIMEZONE") if has_app_context() else None
    return datetime.now(ZoneInfo(zone or DEFAULT_TIME_ZONE)).date()


class CurrentRoles(list):
    """``user.roles``: the assignments valid today. Appending adds a new assignment to the
    user (as when ``roles`` was the relationship itself)."""

    def __init__(self, user: User, assignments: list["RoleAssignment"]):
        super().__init__(assignments)
        self._user = user

    def append(self, assignment: "RoleAssignment") -> None:
        self._user.role_assignments.append(assignment)
        if assignment.valid_on(local_today()):
            super().append(assignment)


class RoleAssignment(db.Model):
    """A role held in a unit, in a whole förvaltning, or (neither given) in the whole region,
    from ``valid_from`` to ``valid_to`` (both inclusive, either open)."""

    __tablename__ = "role_assignments"
    __table_args__ = (
        CheckConstraint("NOT (department_id IS NOT NULL AND unit_id IS NOT NULL)",
                        name="one_scope"),
        CheckConstraint("valid_from IS NULL OR valid_to IS NULL OR valid_from <= valid_to",
                        name="dates_in_order"),
        UniqueConstraint("user_id", "role", "department_id", "unit_id", "valid_from",
                         "valid_to"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    role: Mapped[str] = mapped_column(String(40))
    department_id: Mapped[Optional[int]] = mapped_column(ForeignKey("departments.id"))
    unit_id: Mapped[Optional[int]] = mapped_column(ForeignKey("units.id"))
    valid_from: Mapped[Optional[date]]
    valid_to: Mapped[Optional[date]]

    user: Mapped[User] = relationship(back_populates="role_assignments")
    department: Mapped[Optional[Department]] = relationship()
    unit: Mapped[Optional[Unit]] = relationship()

    @hybrid_method
    def valid_on(self, day: date) -> bool:
        return ((self.valid_from is None or self.valid_from <= day)
                and (self.valid_to is None or day <= self.valid_to))

    @valid_on.inplace.expression
    @classmethod
    def _valid_on_expression(cls, day: date):
        return and_(or_(cls.valid_from.is_(None), cls.valid_from <= day),
                    or_(cls.valid_to.is_(None), cls.valid_to >= day))

    def covers(self, unit: Unit) -> bool:
        if self.unit_id is not None:
            return self.unit_id == unit.id
        if self.department_id is not None:
            return self.department_id == unit.department_id
        return self.user.region_id == unit.department.region_id

    def covers_case(self, case: "Case") -> bool:
        """A unit's role covers the unit's cases; a förvaltning's role also covers the
        förvaltning's cases that name no unit (an anonymous idea's, docs/threat-model.md)."""
        if self.unit_id is not None:
            return case.unit_id is not None and self.unit_id == case.unit_id
        if self.department_id is not None:
            return self.department_id == case.department_id
        return self.user.region_id == case.department.region_id


class ApiToken(db.Model):
    """A bearer token for the JSON API; only its SHA-256 digest is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()


class LoginThrottle(db.Model):
    """Recent failed password logins for one username and address, one address or one
    username (services/login_guard).

    In the database so that every worker and host counts the same attempts; ``key`` is a keyed
    digest, so neither typed usernames (sometimes passwords) nor addresses are stored."""

    __tablename__ = "login_throttles"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    failures: Mapped[int] = mapped_column(default=0, server_default="0")
    window_started_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    locked_until: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    # Locks of this key lately: each further lock lasts twice as long (up to a ceiling).
    locks: Mapped[int] = mapped_column(default=0, server_default="0")


class Case(db.Model):
    __tablename__ = "cases"
    __table_args__ = (
        # A scope's cases in a state, newest first: Att göra reads each part of a person's
        # rule in list order (cases/access.py ordered_parts; migration 0026).
        Index("ix_cases_state_unit_updated", "state", "unit_id", "updated_at", "id"),
        Index("ix_cases_department_state_updated", "department_id", "state", "updated_at",
              "id"),
        Index("ix_cases_state_department", "state", "department_id"),
        # A person's own cases (in a state), newest first: the author's part of a list
        # (ordered_parts) and Mina idéer (migration 0027).
        Index("ix_cases_author_state_updated", "author_id", "state", "updated_at", "id"),
        # A list filtered by state, newest first, reads its page in order (migration 0023).
        Index("ix_cases_state_updated", "state", "updated_at", "id"),
        CheckConstraint("cost_estimate_sek IS NULL OR cost_estimate_sek >= 0",
                        name="cost_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(TITLE_MAX))
    need: Mapped[str] = mapped_column(Text, default="")
    effect: Mapped[str] = mapped_column(Text, default="")
    # The förvaltning is always known; the unit may be left out by an anonymous sender, for
    # whom a small unit could be enough to name them (docs/threat-model.md). A case with a
    # unit belongs to that unit's förvaltning (kept so when a unit moves).
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    unit_id: Mapped[Optional[int]] = mapped_column(ForeignKey("units.id"), index=True)
    author_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    origin: Mapped[str] = mapped_column(String(40))
    state: Mapped[str] = mapped_column(String(40))
    process_name: Mapped[str] = mapped_column(String(80))
    process_version: Mapped[int]
    version: Mapped[int] = mapped_column(default=1)
    cost_estimate_sek: Mapped[Optional[int]] = mapped_column(BigInteger)
    direction_focus: Mapped[Optional[str]] = mapped_column(String(20))
    direction_reach: Mapped[Optional[str]] = mapped_column(String(20))
    priority: Mapped[Optional[str]] = mapped_column(String(20))
    go_live_date: Mapped[Optional[date]]
    planned_year: Mapped[Optional[int]]
    # Implementation: the plan and what it came to (filled in by the developer).
    planned_go_live: Mapped[Optional[date]]
    actual_cost_sek: Mapped[Optional[int]] = mapped_column(BigInteger)
    # The nämnd's registration number once the case is registered (e.g. "SON 2026/123").
    diarienummer: Mapped[Optional[str]] = mapped_column(String(60))
    merged_into_id: Mapped[Optional[int]] = mapped_column(ForeignKey("cases.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Counted up by each history row appended without a change of the case itself, under
    # the case's lock (platform/audit.py; migration 0028). Never read as an attribute.
    history_seq: Mapped[int] = mapped_column(server_default="0", deferred=True)

    department: Mapped[Department] = relationship()
    unit: Mapped[Optional[Unit]] = relationship()
    author: Mapped[Optional[User]] = relationship()
    merged_into: Mapped[Optional["Case"]] = relationship(remote_side=[id],
                                                         back_populates="merged_cases")
    merged_cases: Mapped[list["Case"]] = relationship(back_populates="merged_into",
                                                      order_by="Case.id")
    history: Mapped[list["CaseEvent"]] = relationship(
        back_populates="case", order_by="CaseEvent.id", passive_deletes="all")
    comments: Mapped[list["Comment"]] = relationship(
        back_populates="case", order_by="Comment.id", passive_deletes="all")

    __mapper_args__ = {"version_id_col": version}

    @property
    def anonymous(self) -> bool:
        return self.author_id is None

    @property
    def direction(self) -> Optional[dict[str, str]]:
        if self.direction_focus is None or self.direction_reach is None:
            return None
        return {"focus": self.direction_focus, "reach": self.direction_reach}


class CaseEvent(db.Model):
    """One row of a case's history. Rows are only ever added (see the listeners below)."""

    __tablename__ = "case_history"
    # A case's rows in order: its history, and the newest row the hash chain links to
    # (platform/audit.py) without walking the primary key backwards (migration 0023).
    # The rows into the decided state (states/features.py DECIDED_STATE): a case's decision
    # moment in one index entry (follow_up/service.py decision_moment; migration 0029).
    __table_args__ = (Index("ix_case_history_case_id_id", "case_id", "id"),
                      Index("ix_case_history_decided", "case_id", "at",
                            sqlite_where=text("to_state = 'approved'"),
                            postgresql_where=text("to_state = 'approved'")))

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    event: Mapped[str] = mapped_column(String(40))
    from_state: Mapped[Optional[str]] = mapped_column(String(40))
    to_state: Mapped[str] = mapped_column(String(40))
    actor_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    comment: Mapped[Optional[str]] = mapped_column(Text)
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # The hash chain (workflow/platform/audit.py sets both when the row is inserted).
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))

    case: Mapped[Case] = relationship(back_populates="history")
    actor: Mapped[Optional[User]] = relationship()


class Comment(db.Model):
    __tablename__ = "comments"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    case: Mapped[Case] = relationship(back_populates="comments")
    author: Mapped[User] = relationship()


class InfoObject(db.Model):
    """A förvaltningsobjekt in the classification register (LISA-style): a system or an
    information set with its owner, administrator and consequence levels 0-4."""

    __tablename__ = "info_objects"
    __table_args__ = tuple(
        CheckConstraint(f"{axis} BETWEEN 0 AND 4", name=f"{axis}_level")
        for axis in ("confidentiality", "integrity", "availability", "traceability"))

    id: Mapped[int] = mapped_column(primary_key=True)
    department_id: Mapped[Optional[int]] = mapped_column(ForeignKey("departments.id"))
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(40), default="system")
    owner: Mapped[str] = mapped_column(String(200), default="")
    administrator: Mapped[str] = mapped_column(String(200), default="")
    confidentiality: Mapped[int] = mapped_column(default=0)
    integrity: Mapped[int] = mapped_column(default=0)
    availability: Mapped[int] = mapped_column(default=0)
    traceability: Mapped[int] = mapped_column(default=0)
    personal_data: Mapped[bool] = mapped_column(default=False)
    sensitive_personal_data: Mapped[bool] = mapped_column(default=False)
    sla_notes: Mapped[str] = mapped_column(Text, default="")
    last_review: Mapped[Optional[date]]

    department: Mapped[Optional[Department]] = relationship()


class Dossier(db.Model):
    """A case's beslutsunderlag. Each section is kept as its validated input document; the
    results are computed from it. A few procurement values are copied into columns so that
    direct procurements of the same kind can be summed across cases in SQL."""

    __tablename__ = "dossiers"

    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), primary_key=True)
    version: Mapped[int] = mapped_column(default=1)
    benefit: Mapped[Optional[dict[str, Any]]] = mapped_column(JSON)
    replacement: Mapped[bool] = mapped_column(default=False)
    procurement: Mapped[Optional[dict[str, Any]]] = mapped_column(JSON)
    procurement_route: Mapped[Optional[str]] = mapped_column(String(40))
    procurement_kind: Mapped[Optional[str]] = mapped_column(String(200), index=True)
    procurement_value_sek: Mapped[Optional[int]] = mapped_column(BigInteger)
    procurement_year: Mapped[Optional[int]]
    classification: Mapped[Optional[dict[str, Any]]] = mapped_column(JSON)
    signed_off_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    signed_off_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    signed_off_digest: Mapped[Optional[str]] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    case: Mapped[Case] = relationship(backref=backref("dossier", uselist=False))
    signed_off_by: Mapped[Optional[User]] = relationship()

    __mapper_args__ = {"version_id_col": version}


class Notification(db.Model):
    """Something a person should know: shown in the app, and sent by email as they chose.

    ``key`` is unique: a job or event that runs twice finds its notification already there
    and sends nothing again."""

    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    case_id: Mapped[Optional[int]] = mapped_column(ForeignKey("cases.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    # The Swedish text; shown as it is only for rows written before migration 0019.
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    # The msgid and parameters shown in the reader's language (workflow/notifications/
    # messages.py); None in older rows.
    subject_key: Mapped[Optional[str]] = mapped_column(String(300))
    subject_params: Mapped[Optional[dict[str, Any]]] = mapped_column(JSON)
    body_parts: Mapped[Optional[list[Any]]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    # None: not to be emailed; "immediate" or "digest": how; emailed_at once it went out.
    email_mode: Mapped[Optional[str]] = mapped_column(String(20))
    emailed_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()
    case: Mapped[Optional[Case]] = relationship()


# The person's unread notifications, read with the person only where asked (``undefer``):
# every logged-in page shows the count in its menu, and the user loader reads it in the
# statement that reads the person (workflow/__init__.py; issue 14).
User.unread_notifications = column_property(
    select(func.count(Notification.id))
    .where(Notification.user_id == User.id, Notification.read_at.is_(None))
    .correlate_except(Notification).scalar_subquery(),
    deferred=True)


class NotificationSettings(db.Model):
    """A person's email choices; without a row the defaults of config/notifications.toml hold."""

    __tablename__ = "notification_settings"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    email_enabled: Mapped[bool] = mapped_column(default=True)
    email_mode: Mapped[str] = mapped_column(String(20), default="immediate")
    email_kinds: Mapped[list[str]] = mapped_column(JSON, default=list)


class CaseFollower(db.Model):
    __tablename__ = "case_followers"

    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CaseHint(db.Model):
    """A stored duplicate hint: ``similar_id`` is among the cases most like ``case_id`` when
    the latter's hints were worked out (workflow/similar/service.py, migration 0025). A
    trigger deletes a case's rows, both ways, when its title or need changes."""

    __tablename__ = "case_hints"

    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"),
                                         primary_key=True)
    similar_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"),
                                            primary_key=True, index=True)
    score: Mapped[float] = mapped_column(Float)


class CaseHintRun(db.Model):
    """The case's hints have been worked out (its :class:`CaseHint` rows, maybe none). No
    time is kept: an anonymous case's times are kept to the day (docs/threat-model.md)."""

    __tablename__ = "case_hint_runs"

    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"),
                                         primary_key=True)


class StatusToken(db.Model):
    """The secret link an anonymous submitter keeps to follow their idea; only its digest
    is stored, and nothing links it to a person."""

    __tablename__ = "status_tokens"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)

    case: Mapped[Case] = relationship()


class AnonymousSubmission(db.Model):
    """An anonymous idea waiting for the night: the scheduler turns each day's batch into
    cases at one fixed time, in random order, so neither a case id nor a timestamp tells
    when within the day it was sent (docs/threat-model.md). Nothing here refers to the
    sender: the idea's fields, the förvaltning (and a unit only if the sender chose one), the
    day, the status link's digest."""

    __tablename__ = "anonymous_submissions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    unit_id: Mapped[Optional[int]] = mapped_column(ForeignKey("units.id"))
    fields: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    submitted_on: Mapped[date] = mapped_column(index=True)


class SchedulerLease(db.Model):
    """Which scheduler process may run jobs, on databases without advisory locks (SQLite)."""

    __tablename__ = "scheduler_leases"

    name: Mapped[str] = mapped_column(String(80), primary_key=True)
    holder: Mapped[str] = mapped_column(String(200))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)


MEETING_KINDS = ("apt", "council", "management")


class Meeting(db.Model):
    """An APT (per unit), a digitaliseringsråd or a ledningsgrupp (per förvaltning)."""

    __tablename__ = "meetings"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), index=True)
    unit_id: Mapped[Optional[int]] = mapped_column(ForeignKey("units.id"))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    place: Mapped[str] = mapped_column(String(200), default="")
    chair_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    adjusted_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    adjusted_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    department: Mapped[Department] = relationship()
    unit: Mapped[Optional[Unit]] = relationship()
    chair: Mapped[User] = relationship(foreign_keys=[chair_id])
    adjusted_by: Mapped[Optional[User]] = relationship(foreign_keys=[adjusted_by_id])
    attendees: Mapped[list["MeetingAttendee"]] = relationship(
        back_populates="meeting", cascade="all, delete-orphan")
    items: Mapped[list["AgendaItem"]] = relationship(
        back_populates="meeting", cascade="all, delete-orphan", order_by="AgendaItem.position")

    __mapper_args__ = {"version_id_col": version}

    @property
    def locked(self) -> bool:
        """Adjusted (justerat) minutes cannot change."""
        return self.adjusted_at is not None


class MeetingAttendee(db.Model):
    __tablename__ = "meeting_attendees"

    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    present: Mapped[bool] = mapped_column(default=True)

    meeting: Mapped[Meeting] = relationship(back_populates="attendees")
    user: Mapped[User] = relationship()


class AgendaItem(db.Model):
    """A case on a meeting's agenda, with the meeting's note and the decision taken."""

    __tablename__ = "agenda_items"
    __table_args__ = (UniqueConstraint("meeting_id", "case_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id"), index=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    note: Mapped[str] = mapped_column(Text, default="")
    decision: Mapped[Optional[str]] = mapped_column(String(40))
    outcome: Mapped[Optional[str]] = mapped_column(String(20))  # fired, proposed or refused
    reasons: Mapped[list[str]] = mapped_column(JSON, default=list)
    decided_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))

    meeting: Mapped[Meeting] = relationship(back_populates="items")
    case: Mapped[Case] = relationship()
    decided_by: Mapped[Optional[User]] = relationship()


class Score(db.Model):
    """One council member's scores of one case on the förvaltning's criteria (1-5)."""

    __tablename__ = "scores"
    __table_args__ = (UniqueConstraint("case_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    scores: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    comment: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    case: Mapped[Case] = relationship()
    user: Mapped[User] = relationship()


PLAN_STATUSES = ("not_done", "done", "paused", "hard_to_judge", "relevance_questioned")

case_plan_actions = db.Table(
    "case_plan_actions",
    db.Column("case_id", ForeignKey("cases.id"), primary_key=True),
    db.Column("action_id", ForeignKey("plan_actions.id"), primary_key=True),
)


class GoalArea(db.Model):
    """A goal area of the digitaliseringsplan, for one förvaltning or (none) the region."""

    __tablename__ = "goal_areas"

    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"))
    department_id: Mapped[Optional[int]] = mapped_column(ForeignKey("departments.id"))
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")

    department: Mapped[Optional[Department]] = relationship()
    actions: Mapped[list["PlanAction"]] = relationship(
        back_populates="goal_area", order_by="PlanAction.id", cascade="all, delete-orphan")


class PlanAction(db.Model):
    """An insats in the plan: klar, ej klar, pausad, svårbedömd or relevans ifrågasatt."""

    __tablename__ = "plan_actions"

    id: Mapped[int] = mapped_column(primary_key=True)
    goal_area_id: Mapped[int] = mapped_column(ForeignKey("goal_areas.id"), index=True)
    name: Mapped[str] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(30), default="not_done")
    owner: Mapped[str] = mapped_column(String(200), default="")

    goal_area: Mapped[GoalArea] = relationship(back_populates="actions")
    cases: Mapped[list[Case]] = relationship(secondary=case_plan_actions, order_by="Case.id",
                                             backref="plan_actions")


class DecisionMemo(db.Model):
    """The tjänsteutlåtande for a case going to the nämnd; the economic, security and
    procurement sections come from the decision dossier."""

    __tablename__ = "decision_memos"

    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), primary_key=True)
    proposal: Mapped[str] = mapped_column(Text, default="")
    summary: Mapped[str] = mapped_column(Text, default="")
    background: Mapped[str] = mapped_column(Text, default="")
    assessment: Mapped[str] = mapped_column(Text, default="")
    child_impact: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    version: Mapped[int] = mapped_column(default=1)

    case: Mapped[Case] = relationship(backref=backref("memo", uselist=False))
    updated_by: Mapped[Optional[User]] = relationship()

    __mapper_args__ = {"version_id_col": version}


# Whether the case has a tjänsteutlåtande, comments, ideas merged into it: read with the case
# where asked (``undefer``), so that the case page neither loads the memo for its tab nor asks
# for comments and merged ideas a case has none of (issue 14).
Case.has_memo = column_property(
    select(DecisionMemo.case_id).where(DecisionMemo.case_id == Case.id).exists(),
    deferred=True)
Case.has_comments = column_property(
    select(Comment.id).where(Comment.case_id == Case.id).exists(), deferred=True)
_merged = aliased(Case)
Case.has_merged_cases = column_property(
    select(_merged.id).where(_merged.merged_into_id == Case.id).exists(), deferred=True)


class BenefitReport(db.Model):
    """What a benefit came to at one checkpoint after go-live."""

    __tablename__ = "benefit_reports"
    __table_args__ = (UniqueConstraint("case_id", "benefit_number", "months"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    benefit_number: Mapped[int]
    months: Mapped[int]
    actual_value: Mapped[str] = mapped_column(String(200), default="")
    realised_sek: Mapped[Optional[int]] = mapped_column(BigInteger)
    used_as_intended: Mapped[str] = mapped_column(String(10))  # yes, partly, no
    comment: Mapped[str] = mapped_column(Text, default="")
    reported_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    reported_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    case: Mapped[Case] = relationship()
    reported_by: Mapped[User] = relationship()


class MaturityAssessment(db.Model):
    """A förvaltning's level on KPMG's digital maturity scale (1-5), with date and source."""

    __tablename__ = "maturity_assessments"

    id: Mapped[int] = mapped_column(primary_key=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), index=True)
    level: Mapped[int]
    assessed_on: Mapped[date]
    source: Mapped[str] = mapped_column(String(300), default="")

    department: Mapped[Department] = relationship()


class DimiosRound(db.Model):
    """A DiMiOS measurement round: score, date and number of respondents."""

    __tablename__ = "dimios_rounds"

    id: Mapped[int] = mapped_column(primary_key=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), index=True)
    measured_on: Mapped[date]
    score: Mapped[float]
    respondents: Mapped[int]

    department: Mapped[Department] = relationship()


class AdminLogEntry(db.Model):
    """One administrative change: who, when, what, before and after. Append-only, and kept
    apart from the case history."""

    __tablename__ = "admin_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    actor_name: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(60), index=True)
    target_type: Mapped[str] = mapped_column(String(40))
    target_id: Mapped[Optional[int]]
    target_label: Mapped[str] = mapped_column(String(300), default="")
    before: Mapped[Optional[dict[str, Any]]] = mapped_column(JSON)
    after: Mapped[Optional[dict[str, Any]]] = mapped_column(JSON)

    actor: Mapped[Optional[User]] = relationship()


class StoredProcessDefinition(db.Model):
    """A process definition version loaded by an administrator (YAML as uploaded). Merged
    with the files in config/processes/; the database refuses to change or delete a row,
    since running cases depend on their version."""

    __tablename__ = "process_definitions"
    __table_args__ = (UniqueConstraint("name", "version",
                                       name="uq_process_definitions_name_version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    version: Mapped[int]
    source: Mapped[str] = mapped_column(Text)
    filename: Mapped[str] = mapped_column(String(255), default="")
    loaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    loaded_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))

    loaded_by: Mapped[Optional[User]] = relationship()


class DelegationOrder(db.Model):
    """One version of a förvaltning's delegationsordning (docs/delegation.md). Versions are
    never changed: an edit adds the next version, and decisions record the version they used."""

    __tablename__ = "delegation_orders"
    __table_args__ = (UniqueConstraint("department_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), index=True)
    version: Mapped[int]
    valid_from: Mapped[date]
    # The nämnd's decision adopting this version, e.g. "Socialnämnden 2026-01-28 § 12".
    adopted_by: Mapped[str] = mapped_column(String(300), default="")
    # [{number, title, decider, limit_sek | limit_pbb, conditions}, ...]
    points: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))

    department: Mapped[Department] = relationship()
    created_by: Mapped[Optional[User]] = relationship()


class PriceBaseAmount(db.Model):
    """A year's prisbasbelopp added by an administrator (config/prisbasbelopp.toml holds the
    known years; a row here adds a year or corrects one)."""

    __tablename__ = "price_base_amounts"

    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    amount_sek: Mapped[int] = mapped_column(BigInteger)
    source: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))


MERGE_PROPOSAL_STATUSES = ("pending", "accepted", "declined", "withdrawn")


class MergeProposal(db.Model):
    """A proposal to merge one case (``case``) into another (``target``): consent-based merge
    (docs/process.md). Nothing is written into the target until one of its owners accepts;
    the proposer or anyone who may merge the case can withdraw it. ``version`` makes a
    concurrent accept and decline of the same proposal end in one winner and a conflict."""

    __tablename__ = "merge_proposals"
    __table_args__ = (
        # At most one pending proposal per case (a partial unique index on both databases).
        Index("uq_merge_proposals_pending_case", "case_id", unique=True,
              sqlite_where=text("status = 'pending'"),
              postgresql_where=text("status = 'pending'")),
        CheckConstraint("status IN ('pending', 'accepted', 'declined', 'withdrawn')",
                        name="status_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    target_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    proposed_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    comment: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), default="pending")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    reason: Mapped[Optional[str]] = mapped_column(Text)
    version: Mapped[int] = mapped_column(default=1)

    case: Mapped[Case] = relationship(foreign_keys=[case_id])
    target: Mapped[Case] = relationship(foreign_keys=[target_id])
    proposed_by: Mapped[User] = relationship(foreign_keys=[proposed_by_id])
    decided_by: Mapped[Optional[User]] = relationship(foreign_keys=[decided_by_id])

    __mapper_args__ = {"version_id_col": version}

    @property
    def pending(self) -> bool:
        return self.status == "pending"


# Whether a merge proposal from or into the case waits for an answer: read with the case on
# its page, so that a case without one (nearly every case) asks for none (issue 14).
Case.has_pending_proposals = column_property(
    select(MergeProposal.id).where(
        or_(MergeProposal.case_id == Case.id, MergeProposal.target_id == Case.id),
        MergeProposal.status == "pending").exists(),
    deferred=True)


WEBHOOK_DELIVERY_STATUSES = ("pending", "delivered", "failed")


class Webhook(db.Model):
    """A receiver of a förvaltning's case events (docs/webhooks.md). The secret signs every
    delivery (HMAC-SHA256), so it is kept as given; it is shown once, when it is registered.
    A webhook is deactivated, never deleted: its deliveries stay as the record."""

    __tablename__ = "webhooks"

    id: Mapped[int] = mapped_column(primary_key=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), index=True)
    url: Mapped[str] = mapped_column(String(500))
    secret: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("users.id"))
    deactivated_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)

    department: Mapped[Department] = relationship()


# Whether the förvaltning has an active webhook, read with the förvaltning only where asked
# (``undefer``): an event on a case loaded with it needs no query of its own for the webhooks
# when there are none (workflow/webhooks/service.py ``enqueue``; issue 14, firing).
Department.has_active_webhooks = column_property(
    select(Webhook.id).where(Webhook.department_id == Department.id,
                             Webhook.active.is_(True)).exists(),
    deferred=True)


class WebhookDelivery(db.Model):
    """One case event for one webhook: written in the event's own transaction, sent by the
    scheduler (``deliver_webhooks``), retried with back-off until delivered or failed."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),
        CheckConstraint("status IN ('pending', 'delivered', 'failed')", name="status_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    webhook_id: Mapped[int] = mapped_column(ForeignKey("webhooks.id"), index=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("case_history.id"))
    event: Mapped[str] = mapped_column(String(40))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_status_code: Mapped[Optional[int]]
    last_error: Mapped[Optional[str]] = mapped_column(String(200))
    delivered_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)

    webhook: Mapped[Webhook] = relationship()
    case: Mapped[Case] = relationship()
    case_event: Mapped[CaseEvent] = relationship()


class AppendOnlyViolation(RuntimeError):
    pass


@event.listens_for(Session, "before_flush")
def _history_is_append_only(session: Session, flush_context: Any, instances: Any) -> None:
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, (CaseEvent, AdminLogEntry)) and (
                obj in session.deleted or session.is_modified(obj)):
            raise AppendOnlyViolation(f"{obj.__tablename__} rows cannot be changed or deleted")


@event.listens_for(Case.unit, "set")
def _case_follows_its_unit(case: Case, unit: Unit | None, _old, _initiator) -> None:
    """A case with a unit belongs to that unit's förvaltning, whoever sets the unit."""
    if unit is not None:
        case.department = unit.department
