"""docs/users.md keeps up with the code: every role and every audit action users cause."""

from __future__ import annotations

import re
from pathlib import Path

from enlace.model.roles import Role

ROOT = Path(__file__).resolve().parents[2]
USERS_SOURCES = [*(ROOT / "src" / "enlace" / "users").glob("*.py")]


def _documented() -> str:
    return (ROOT / "docs" / "users.md").read_text(encoding="utf-8")


def test_every_role_is_described_with_its_spanish_name() -> None:
    text = _documented()
    for role in Role:
        assert re.search(rf"^\| `{role.value}` \| [a-z ]+ \|", text, re.MULTILINE), role


def test_every_audit_action_of_users_and_sessions_is_documented() -> None:
    actions: set[str] = set()
    for path in USERS_SOURCES:
        source = path.read_text(encoding="utf-8")
        actions.update(re.findall(r'action="([a-z-]+)"', source))
        actions.update(re.findall(r'"(user-(?:disable|enable))"', source))
    assert {"login", "login-failure", "token-use", "user-add"} <= actions
    text = _documented()
    missing = sorted(action for action in actions if f"`{action}`" not in text)
    assert missing == [], f"docs/users.md does not name these audit actions: {missing}"
