"""How the bot names a user to the owner: full name, else @username, else the numeric id."""

from __future__ import annotations

import pytest

from domain.users import User


@pytest.mark.parametrize(("user", "name"), [
    (User(1, first_name="Ann", last_name="Lee", username="ann"), "Ann Lee"),
    (User(1, first_name="Ann", username="ann"), "Ann"),
    (User(1, last_name="Lee"), "Lee"),
    (User(1, username="ann"), "@ann"),
    (User(12345), "12345"),
])
def test_a_user_is_named_by_name_then_username_then_id(user: User, name: str) -> None:
    assert user.display_name == name
