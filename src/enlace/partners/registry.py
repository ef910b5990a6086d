"""Which partners this node has: the one look-up that refuses a party not registered."""

from __future__ import annotations

from enlace.partners.errors import NotAPartner
from enlace.store.repositories.partners import Partner
from enlace.store.unit_of_work import UnitOfWork


def registered_partner(uow: UnitOfWork, party: str) -> Partner:
    """The registration of `party`; NotAPartner when there is none. Never commits."""
    partner = uow.partners.get(party)
    if partner is None:
        raise NotAPartner(party)
    return partner
