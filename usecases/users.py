"""Finding or creating the user behind an update, with the interface language they speak."""

from __future__ import annotations

import attrs

from domain.users import User, UserSettings
from ports.clock import Clock
from ports.errors import ConflictError
from ports.repositories import Users
from presentation.catalogue import ui_language_for
from usecases.inbound import Sender


def ensure_user(users: Users, sender: Sender, clock: Clock) -> User:
    """The stored user, created on first contact; profile fields refreshed when they changed."""
    user = users.get(sender.user_id)
    now = clock.now()
    if user is None:
        return users.create(User(
            user_id=sender.user_id, first_name=sender.first_name, last_name=sender.last_name,
            username=sender.username, created_at=now, last_activity=now,
            settings=UserSettings(ui_language=ui_language_for(sender.language_code)),
        ))
    profile = (sender.first_name, sender.last_name, sender.username)
    if profile != (user.first_name, user.last_name, user.username) or now - user.last_activity > 3600:
        try:
            user = users.save(attrs.evolve(user, first_name=sender.first_name, last_name=sender.last_name,
                                           username=sender.username, last_activity=now))
        except ConflictError:
            user = users.get(sender.user_id) or user
    return user


def update_settings(users: Users, user: User, **changes: object) -> User:
    """Change settings with optimistic locking, retrying a few times on a concurrent write."""
    for _ in range(5):
        try:
            # ``changes`` name UserSettings fields chosen at run time (the menu toggles one by name);
            # attrs.evolve rejects an unknown name, the static check cannot see which it is.
            return users.save(attrs.evolve(user, settings=attrs.evolve(user.settings, **changes)))  # type: ignore[arg-type]
        except ConflictError:
            fresh = users.get(user.user_id)
            if fresh is None:
                raise
            user = fresh
    raise ConflictError(f"user {user.user_id} kept changing")
