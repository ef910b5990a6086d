"""The roles a person holds in a node (roles / funciones) and what each is for."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    """What a user may do in a node; a user holds one or more roles."""

    ADMINISTRATOR = "administrator"  # administrador: users, partners, keys
    ANALYST = "analyst"  # analista: records of their agency, imports, matching requests
    LIAISON = "liaison"  # oficial de enlace: releases, disclosure decisions, sync
    COORDINATOR = "coordinator"  # coordinador: meetings, commitments, actions, indicators
    AUDITOR = "auditor"  # auditor: read-only, the audit log


ALL_ROLES: frozenset[Role] = frozenset(Role)


def parse_role(text: str) -> Role:
    """The role named `text` (case-insensitive); ValueError listing the roles otherwise."""
    try:
        return Role(text.strip().lower())
    except ValueError:
        names = ", ".join(role.value for role in Role)
        raise ValueError(f"unknown role {text!r}: expected one of {names}") from None
