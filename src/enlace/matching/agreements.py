"""Matching agreements (acuerdos): what this node answers for each partner, automatically.

Without an agreement for a (partner, kind) the node answers nothing for it. Within one, a
run is answered only if the partner's set is no larger than `max_set_size` and the partner
has asked for fewer than `runs_per_day` runs of that kind since 00:00 UTC: a partner could
otherwise probe one identifier at a time, learning whether this node holds it. Its mode
(enlace.matching.modes) says what the partner learns: the links, only a count, or the links
only at a threshold.
"""

from __future__ import annotations

from collections.abc import Iterable

from enlace.matching.errors import MatchingError, MatchRefused
from enlace.matching.modes import LINKS, AgreementStatement, agreement_sha256, check_terms
from enlace.partners.registry import registered_partner
from enlace.store.repositories.agreements import AgreementRepository, MatchAgreement
from enlace.store.unit_of_work import UnitOfWork, UnitOfWorkFactory


def check_within_agreement(
    agreements: AgreementRepository, *, partner: str, kind: str, set_size: int | None, now: str
) -> MatchAgreement:
    """The agreement allowing this run, or MatchRefused saying which cap it breaks.

    `now` is a STIX timestamp; the day's count starts at its 00:00 UTC. `set_size` None
    checks everything but the size (before the body has arrived).
    """
    agreement = agreements.get(partner, kind)
    if agreement is None:
        raise MatchRefused(
            403,
            "no-agreement",
            f"no matching agreement with {partner} covers kind {kind!r}",
        )
    if set_size is not None and set_size > agreement.max_set_size:
        raise MatchRefused(
            413,
            "set-too-large",
            f"a set of {set_size:,} {kind} identifiers is larger than the agreement's cap of "
            f"{agreement.max_set_size:,} per run",
        )
    day_start = now[:10] + "T00:00:00.000000Z"
    done = agreements.runs_since(partner, kind, day_start)
    if done >= agreement.runs_per_day:
        raise MatchRefused(
            429,
            "too-many-runs",
            f"{done} run(s) of {kind} already today (UTC); the agreement allows "
            f"{agreement.runs_per_day} per day",
        )
    return agreement


def set_agreements(
    uow: UnitOfWork,
    *,
    partner: str,
    kinds: Iterable[str],
    max_set_size: int,
    runs_per_day: int,
    at: str,
    actor: str,
    mode: str = LINKS,
    threshold: int | None = None,
) -> list[MatchAgreement]:
    """`set_agreement` for each of `kinds`, with the same caps and mode; never commits."""
    return [
        set_agreement(
            uow,
            partner=partner,
            kind=kind,
            max_set_size=max_set_size,
            runs_per_day=runs_per_day,
            at=at,
            actor=actor,
            mode=mode,
            threshold=threshold,
        )
        for kind in kinds
    ]


def set_agreement(
    uow: UnitOfWork,
    *,
    partner: str,
    kind: str,
    max_set_size: int,
    runs_per_day: int,
    at: str,
    actor: str,
    mode: str = LINKS,
    threshold: int | None = None,
) -> MatchAgreement:
    """Set (or replace) the agreement for (partner, kind) and audit it; never commits.

    NotAPartner when the partner is not registered, MatchingError when a cap is not positive
    or the mode and threshold do not fit (enlace.matching.modes.check_terms).
    """
    registered_partner(uow, partner)
    if max_set_size < 1 or runs_per_day < 1:
        raise MatchingError(
            f"--max-set-size and --runs-per-day must be at least 1 (found {max_set_size}, "
            f"{runs_per_day}); to stop answering {partner} on {kind}, remove the agreement"
        )
    check_terms(mode, threshold, max_set_size)
    agreement = MatchAgreement(partner, kind, max_set_size, runs_per_day, at, mode, threshold)
    uow.agreements.put(agreement)
    uow.audit.append(
        actor=actor,
        action="match-agreement",
        subject=partner,
        detail={
            "kind": kind,
            "max_set_size": max_set_size,
            "runs_per_day": runs_per_day,
            "mode": mode,
            "threshold": threshold,
        },
    )
    return agreement


def statement_of(agreement: MatchAgreement, *, party: str) -> AgreementStatement:
    """The agreement as the responder `party` states it to its partner (at admission)."""
    return AgreementStatement(
        kind=agreement.kind,
        mode=agreement.mode,
        threshold=agreement.threshold,
        max_set_size=agreement.max_set_size,
        runs_per_day=agreement.runs_per_day,
        agreement_sha256=agreement_sha256(
            requester=agreement.partner,
            responder=party,
            kind=agreement.kind,
            mode=agreement.mode,
            threshold=agreement.threshold,
            max_set_size=agreement.max_set_size,
            runs_per_day=agreement.runs_per_day,
        ),
    )


def agree_to_match(
    store: UnitOfWorkFactory,
    *,
    partner: str,
    kinds: Iterable[str],
    max_set_size: int,
    runs_per_day: int,
    actor: str,
    mode: str = LINKS,
    threshold: int | None = None,
) -> list[MatchAgreement]:
    """Use case: answer `partner`'s runs on `kinds` automatically, within these caps and in
    this mode."""
    with store.unit_of_work() as uow:
        agreements = set_agreements(
            uow,
            partner=partner,
            kinds=kinds,
            max_set_size=max_set_size,
            runs_per_day=runs_per_day,
            at=uow.started_at,
            actor=actor,
            mode=mode,
            threshold=threshold,
        )
        uow.commit()
    return agreements


def end_agreements(
    store: UnitOfWorkFactory, *, partner: str, kinds: Iterable[str], actor: str
) -> None:
    """Use case: stop answering `partner`'s runs on `kinds`; MatchingError, with nothing
    removed, when one of them has no agreement."""
    chosen = list(kinds)
    with store.unit_of_work() as uow:
        missing = [kind for kind in chosen if uow.agreements.get(partner, kind) is None]
        if missing:
            raise MatchingError(f"no agreement with {partner} on {', '.join(missing)}")
        for kind in chosen:
            uow.agreements.remove(partner, kind)
            uow.audit.append(
                actor=actor,
                action="match-agreement-removed",
                subject=partner,
                detail={"kind": kind},
            )
        uow.commit()
