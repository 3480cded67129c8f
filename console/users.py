"""Console users: Argon2 password hashes, API tokens (kept as SHA-256), roles, login rate limits."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from markwatch.errors import UserError
from storage.models import ConsoleToken, ConsoleUser, LoginAttempt, utcnow

#: Roles, weakest first: viewers read, analysts decide, admins also manage users and brands.
ROLES = ("viewer", "analyst", "admin")
#: Failed sign-ins allowed per name, and per client address, in :data:`LOGIN_WINDOW`.
LOGIN_FAILURES = 5
LOGIN_WINDOW = dt.timedelta(minutes=15)
TOKEN_PREFIX = "mw_"

_hasher = PasswordHasher()
#: A hash to verify against when the name is unknown, so that the time taken does not tell names apart.
_DUMMY_HASH = _hasher.hash("markwatch-no-such-user")


class LoginError(UserError):
    """Wrong name or password."""


class TooManyAttempts(UserError):
    """Too many failed sign-ins lately."""


@dataclass(frozen=True)
class Principal:
    """Who is asking: the user's name (the actor of their decisions) and role."""

    id: int
    name: str
    role: str

    def can(self, role: str) -> bool:
        return ROLES.index(self.role) >= ROLES.index(role)


def check_name(name: str) -> str:
    name = (name or "").strip()
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,99}", name):
        raise UserError(
            f"{name!r} is not a user name: use letters, digits, '.', '_', '@' or '-' (at most 100)"
        )
    return name


def check_role(role: str) -> str:
    if role not in ROLES:
        raise UserError(f"unknown role {role!r}: use one of {', '.join(ROLES)}")
    return role


def hash_password(password: str) -> str:
    if len(password) < 8:
        raise UserError("the password is too short: use at least 8 characters")
    return _hasher.hash(password)


def add_user(session: Session, name: str, role: str, password: str | None = None) -> ConsoleUser:
    """A new user; without a password the user can only use API tokens. Never commits."""
    name, role = check_name(name), check_role(role)
    if session.scalar(select(ConsoleUser.id).where(ConsoleUser.name == name)) is not None:
        raise UserError(f"user {name} exists already: `markwatch users remove {name}` first")
    user = ConsoleUser(name=name, role=role, password_hash=hash_password(password) if password else None)
    session.add(user)
    session.flush()
    return user


def get_user(session: Session, name: str) -> ConsoleUser:
    user = session.scalar(select(ConsoleUser).where(ConsoleUser.name == name))
    if user is None:
        raise UserError(f"no user {name}: see `markwatch users list`")
    return user


def list_users(session: Session) -> list[ConsoleUser]:
    return list(session.scalars(select(ConsoleUser).order_by(ConsoleUser.name)))


def remove_user(session: Session, name: str) -> None:
    user = get_user(session, name)
    session.execute(delete(ConsoleToken).where(ConsoleToken.user_id == user.id))
    session.delete(user)
    session.flush()


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_token(session: Session, name: str) -> str:
    """A new API token for ``name``: returned once, stored only as its SHA-256. Never commits."""
    user = get_user(session, name)
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    session.add(ConsoleToken(user_id=user.id, token_sha256=token_digest(token)))
    session.flush()
    return token


def principal_for_token(session: Session, token: str) -> Principal | None:
    row = session.execute(
        select(ConsoleUser, ConsoleToken)
        .join(ConsoleToken, ConsoleToken.user_id == ConsoleUser.id)
        .where(ConsoleToken.token_sha256 == token_digest(token))
    ).first()
    if row is None:
        return None
    user, _tok = row
    return Principal(user.id, user.name, user.role)


def principal_for_id(session: Session, user_id: int) -> Principal | None:
    user = session.get(ConsoleUser, user_id)
    return None if user is None else Principal(user.id, user.name, user.role)


def _recent_failures(session: Session, *, name: str | None = None, client: str | None = None) -> int:
    since = utcnow() - LOGIN_WINDOW
    stmt = select(func.count()).select_from(LoginAttempt).where(LoginAttempt.at >= since, ~LoginAttempt.ok)
    if name is not None:
        stmt = stmt.where(LoginAttempt.name == name)
    if client is not None:
        stmt = stmt.where(LoginAttempt.client == client)
    return session.scalar(stmt) or 0


def authenticate(session: Session, name: str, password: str, client: str) -> Principal:
    """Check a sign-in; records the attempt (commit it either way). Rate-limited per name and client."""
    name = (name or "").strip()[:100]
    client = (client or "?")[:64]
    if (
        _recent_failures(session, name=name) >= LOGIN_FAILURES
        or _recent_failures(session, client=client) >= LOGIN_FAILURES * 4
    ):
        raise TooManyAttempts("too many failed sign-ins: wait 15 minutes and try again")
    user = session.scalar(select(ConsoleUser).where(ConsoleUser.name == name))
    ok = False
    try:
        ok = _hasher.verify(user.password_hash if user and user.password_hash else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        ok = False
    ok = ok and user is not None and user.password_hash is not None
    session.add(LoginAttempt(name=name, client=client, ok=ok))
    if not ok or user is None:
        session.flush()
        raise LoginError("wrong name or password")
    user.last_login = utcnow()
    if _hasher.check_needs_rehash(user.password_hash or ""):
        user.password_hash = _hasher.hash(password)
    session.flush()
    return Principal(user.id, user.name, user.role)
