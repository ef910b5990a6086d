"""The responder's /matching/v1 routes answer bad input with a problem body, never a 500,
and bad input changes nothing but the audit log."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import httpx
import orjson
import pytest
from sqlalchemy import func, select

from enlace.matching.kinds import kind_domain
from enlace.matching.modes import agreement_sha256
from enlace.matching.proofs import check_body, check_sums_chunk, public_key, verify_check
from enlace.matching.psi import (
    Answer,
    decode_answer,
    encode_claims,
    fresh_scalar,
    hash_and_blind_chunk,
)
from enlace.model.identifiers import IdentifierKind
from enlace.partners.authentication import PARTNER_CHALLENGE
from enlace.store.tables import hit_notices, match_runs
from support.exchange import phone
from support.matching import ServedNode, agree, load, requester_token, served_nodes

pytestmark = pytest.mark.e2e

PHONES = ["+525512345678", "+525598765432", "+12025550123"]


@pytest.fixture
def us(new_store_url: Callable[[], str]) -> Iterator[ServedNode]:
    with served_nodes({"MX": new_store_url(), "US": new_store_url()}) as nodes:
        load(nodes["US"], [phone(n, owner="US") for n in PHONES])
        agree(nodes["US"], "MX", max_set_size=10, kinds=("phone",))
        yield nodes["US"]


def post(us: ServedNode, path: str, body: bytes, **headers: str) -> httpx.Response:
    auth = {"Authorization": f"Bearer {requester_token('MX', 'US')}"}
    return httpx.post(f"{us.url}/matching/v1{path}", content=body, headers={**auth, **headers})


def blinded(keys: list[str]) -> bytes:
    return hash_and_blind_chunk(
        kind_domain(IdentifierKind.PHONE), [k.encode() for k in keys], fresh_scalar()
    )


def check(us: ServedNode, sent: bytes, answer: Answer, seed: bytes = bytes(32)) -> httpx.Response:
    """The requester's check of the answer to `sent` (what requester._check does)."""
    sums = check_sums_chunk(seed, 0, sent, answer.doubly)
    return post(us, f"/runs/{answer.run_id.hex()}/check", check_body(seed, sums[:32], sums[32:]))


def opened(us: ServedNode, keys: list[str]) -> tuple[bytes, Answer]:
    """A links run answered by `us` on `keys`: (the points sent, the answer)."""
    sent = blinded(keys)
    return sent, decode_answer(post(us, "/runs?kind=phone", sent).content, expected_n=len(keys))


def run_row(us: ServedNode) -> dict[str, object]:
    with us.store.unit_of_work() as uow:
        [row] = uow.connection.execute(select(match_runs)).mappings().all()
    return dict(row)


def runs(us: ServedNode) -> int:
    with us.store.unit_of_work() as uow:
        return int(
            uow.connection.execute(select(func.count()).select_from(match_runs)).scalar_one()
        )


@pytest.mark.parametrize(
    ("path", "body", "status", "words"),
    [
        ("/runs?kind=phone", b"\x01" * 33, 400, "not a whole number of 32-byte points"),
        ("/runs?kind=phone", b"\xff" * 32, 400, "not a valid ristretto255 point"),
        ("/runs?kind=phone", b"", 400, "the blinded set is empty"),
        ("/runs?kind=shoe", b"", 400, "unknown identifier kind 'shoe'"),
        ("/runs?kind=vin", b"", 403, "no matching agreement with MX covers kind 'vin'"),
        ("/runs?kind=phone", b"\x00" * 32 * 11, 413, "cap of 10 per run"),
        ("/runs/" + "0" * 32 + "/matches", b"", 404, "no run"),
        ("/runs/" + "0" * 32 + "/abort", b"proofs failed", 404, "no run"),
        ("/runs/" + "0" * 32 + "/check", b"\x00" * 96, 404, "no run"),
        ("/disclosures", b"{}", 400, "expected JSON"),
        ("/disclosures", b'{"handle": "00112233445566ff"}', 404, "no matched record"),
    ],
)
def test_bad_input_gets_a_problem_body_and_changes_nothing(
    us: ServedNode, path: str, body: bytes, status: int, words: str
) -> None:
    response = post(us, path, body)
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    assert words in response.json()["detail"]
    assert runs(us) == 0


@pytest.mark.parametrize(
    ("request_id", "token", "status", "words"),
    [
        ("1", True, 404, "no disclosure request 1 of yours"),
        ("x1", True, 400, "a request id is a number"),
        ("1", False, 401, "authentication required"),
    ],
)
def test_asking_the_state_of_a_request_that_is_not_yours_gets_a_problem_body(
    us: ServedNode, request_id: str, token: bool, status: int, words: str
) -> None:
    headers = {"Authorization": f"Bearer {requester_token('MX', 'US')}"} if token else {}
    response = httpx.get(f"{us.url}/matching/v1/disclosures/{request_id}", headers=headers)
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    assert words in response.json()["detail"]


def test_a_streamed_body_past_the_cap_is_cut_off(us: ServedNode) -> None:
    def chunks() -> Iterator[bytes]:
        for _ in range(20):
            yield b"\x00" * 32

    response = httpx.post(
        f"{us.url}/matching/v1/runs?kind=phone",
        content=chunks(),
        headers={"Authorization": f"Bearer {requester_token('MX', 'US')}"},
    )
    assert response.status_code == 413
    assert "larger than the agreement's cap of 10" in response.json()["detail"]
    assert runs(us) == 0


def test_second_round_is_refused_when_the_set_changed_or_the_run_is_done(us: ServedNode) -> None:
    sent = blinded(PHONES[:2])
    answer = decode_answer(post(us, "/runs?kind=phone", sent).content, expected_n=2)
    assert check(us, sent, answer).status_code == 200
    run = answer.run_id.hex()
    load(us, [phone("+13055550199", owner="US")])
    response = post(us, f"/runs/{run}/matches", encode_claims([(0, b"+13055550100")]))
    assert response.status_code == 409
    assert "changed during run" in response.json()["detail"]
    response = post(us, f"/runs/{run}/matches", encode_claims([(0, b"+13055550100")]))
    assert response.status_code == 409
    assert "already failed" in response.json()["detail"]
    with us.store.unit_of_work() as uow:
        assert (
            uow.connection.execute(select(func.count()).select_from(hit_notices)).scalar_one() == 0
        )


def test_an_abort_marks_the_answered_run_aborted_once_and_is_audited(us: ServedNode) -> None:
    answer = decode_answer(post(us, "/runs?kind=phone", blinded(PHONES[:1])).content, expected_n=1)
    run = answer.run_id.hex()
    assert post(us, f"/runs/{run}/abort", b"bad\x00reason").status_code == 400
    assert post(us, f"/runs/{run}/abort", b"x" * 1001).status_code == 413
    assert post(us, f"/runs/{run}/abort", b"pruebas fallidas").status_code == 204
    response = post(us, f"/runs/{run}/abort", b"again")
    assert response.status_code == 409
    assert "already aborted" in response.json()["detail"]
    response = post(us, f"/runs/{run}/matches", encode_claims([(0, b"+525512345678")]))
    assert response.status_code == 409
    with us.store.unit_of_work() as uow:
        entries = [e for e in uow.audit.entries() if e.action == "match-aborted"]
    assert len(entries) == 1
    assert entries[0].detail is not None
    assert entries[0].detail["reason"] == "pruebas fallidas"


def test_positions_beyond_what_can_match_are_refused(us: ServedNode) -> None:
    sent, answer = opened(us, ["+15550000000"])
    assert check(us, sent, answer).status_code == 200
    run = answer.run_id.hex()
    response = post(us, f"/runs/{run}/matches", encode_claims([(0, b"a"), (1, b"b")]))
    assert response.status_code == 400
    assert "more than 1 matched positions claimed" in response.json()["detail"]
    response = post(us, f"/runs/{run}/matches", encode_claims([(7, b"a")]))
    assert response.status_code == 400
    assert "outside 0..2" in response.json()["detail"]


def test_admission_says_whether_a_run_would_be_answered_and_counts_no_run(us: ServedNode) -> None:
    auth = {"Authorization": f"Bearer {requester_token('MX', 'US')}"}
    url = f"{us.url}/matching/v1/admission"
    admitted = httpx.get(url, params={"kind": "phone", "size": "10"}, headers=auth)
    assert admitted.status_code == 200
    # The agreement it would run under, with its digest (enlace.matching.modes).
    assert admitted.json() == {
        "protocol": 5,
        "kind": "phone",
        "mode": "links",
        "threshold": None,
        "max_set_size": 10,
        "runs_per_day": admitted.json()["runs_per_day"],
        "agreement_sha256": agreement_sha256(
            requester="MX",
            responder="US",
            kind="phone",
            mode="links",
            threshold=None,
            max_set_size=10,
            runs_per_day=admitted.json()["runs_per_day"],
        ),
    }
    too_big = httpx.get(url, params={"kind": "phone", "size": "11"}, headers=auth)
    assert too_big.status_code == 413
    assert too_big.json()["detail"] == (
        "a set of 11 phone identifiers is larger than the agreement's cap of 10 per run"
    )
    assert httpx.get(url, params={"kind": "vin", "size": "1"}, headers=auth).status_code == 403
    assert httpx.get(url, params={"kind": "phone", "size": "x"}, headers=auth).status_code == 400
    unauthenticated = httpx.get(url, params={"kind": "phone", "size": "1"})
    assert unauthenticated.status_code == 401
    assert unauthenticated.headers["www-authenticate"] == PARTNER_CHALLENGE
    # The same token as Basic credentials, under the requester's party code.
    as_basic = ("MX", requester_token("MX", "US"))
    assert httpx.get(url, params={"kind": "phone", "size": "1"}, auth=as_basic).status_code == 200
    as_another = ("CA", requester_token("MX", "US"))
    assert httpx.get(url, params={"kind": "phone", "size": "1"}, auth=as_another).status_code == 401
    assert runs(us) == 0


@pytest.mark.parametrize("size", ["٣", "３", "²", "1_0", "+1", " 1", "9" * 5000, "-1", ""])
def test_admission_reads_a_size_only_in_ascii_digits(us: ServedNode, size: str) -> None:
    # Python's int() reads '٣' as 3 and '1_0' as 10; '²' passes isdigit() and fails int().
    auth = {"Authorization": f"Bearer {requester_token('MX', 'US')}"}
    url = f"{us.url}/matching/v1/admission"
    answer = httpx.get(url, params={"kind": "phone", "size": size}, headers=auth)
    assert answer.status_code == 400, answer.text
    assert "digits 0-9" in answer.json()["detail"]


@pytest.mark.parametrize("request_id", [str(2**31), str(10**17), "١", "0"])
def test_a_disclosure_id_no_store_can_hold_is_400_not_a_fault(
    us: ServedNode, request_id: str
) -> None:
    # PostgreSQL's INTEGER ends at 2**31 - 1: a larger id was an error there, not a 404.
    auth = {"Authorization": f"Bearer {requester_token('MX', 'US')}"}
    answer = httpx.get(f"{us.url}/matching/v1/disclosures/{request_id}", headers=auth)
    assert answer.status_code == 400, answer.text
    assert "from 1 to 2147483647" in answer.json()["detail"]


def test_a_disclosure_reason_with_control_characters_is_400(us: ServedNode) -> None:
    # Of a record the requester matched: PostgreSQL refused to store the NUL (a 500 there).
    record_id = phone(PHONES[0], owner="US").id
    with us.store.unit_of_work() as uow:
        handle = uow.handles.handles_for("MX", [record_id], at=uow.started_at)[record_id]
        uow.commit()
    body = orjson.dumps({"handle": handle, "reason": "a\x00b"})
    answer = post(us, "/disclosures", body, **{"Content-Type": "application/json"})
    assert answer.status_code == 400, answer.text
    assert "control characters" in answer.json()["detail"]


def test_a_run_answers_one_check_with_a_proof_under_its_key_and_refuses_a_second(
    us: ServedNode,
) -> None:
    sent, answer = opened(us, PHONES[:2])
    run = answer.run_id.hex()
    assert run_row(us)["blinding_scalar"] is not None  # kept for the check
    # Round 2 before the check is refused: the requester has not checked yet.
    early = post(us, f"/runs/{run}/matches", encode_claims([(0, b"+525512345678")]))
    assert early.status_code == 409
    assert early.json()["title"] == "run-unchecked"
    seed = bytes(range(32))
    sums = check_sums_chunk(seed, 0, sent, answer.doubly)
    first = check(us, sent, answer, seed)
    assert first.status_code == 200
    assert first.headers["content-type"] == "application/octet-stream"
    assert verify_check(answer.public, sums[:32], sums[32:], first.content)
    row = run_row(us)
    assert row["status"] == "checked"
    assert row["blinding_scalar"] is None  # erased once the check is answered
    # One question per run: a second check, even of another combination, is refused.
    again = check(us, sent, answer, bytes(32))
    assert again.status_code == 409
    assert again.json()["title"] == "check-asked"
    with us.store.unit_of_work() as uow:
        actions = [e.action for e in uow.audit.entries()]
    assert actions.count("match-checked") == 1
    assert "match-check-failed" not in actions


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (b"\x00" * 95, "a check is 96 bytes"),
        (b"\x00" * 97, "a check is 96 bytes"),
        (b"\x00" * 32 + b"\xff" * 64, "M is not a valid ristretto255 point"),
        (b"\x00" * 64 + b"\x00" * 32, "M is not a valid ristretto255 point"),  # the identity
        (b"\x00" * 2000, "far longer than 96 bytes"),
    ],
)
def test_a_malformed_check_gets_one_clear_4xx_and_leaves_the_run_waiting(
    us: ServedNode, body: bytes, words: str
) -> None:
    sent, answer = opened(us, PHONES[:1])
    response = post(us, f"/runs/{answer.run_id.hex()}/check", body)
    assert response.status_code in (400, 413)
    assert response.headers["content-type"] == "application/problem+json"
    assert words in response.json()["detail"]
    assert run_row(us)["status"] == "answered"
    # Not a question: the run still answers its one check.
    assert check(us, sent, answer).status_code == 200


def test_a_wrong_check_aborts_the_run_and_erases_its_key(us: ServedNode) -> None:
    sent, answer = opened(us, PHONES[:2])
    seed = bytes(32)
    sums = check_sums_chunk(seed, 0, sent, answer.doubly)
    # Z of another key: what a responder that blinded with it would make the requester send.
    wrong = check_body(seed, sums[:32], public_key(fresh_scalar()))
    response = post(us, f"/runs/{answer.run_id.hex()}/check", wrong)
    assert response.status_code == 409
    assert response.json()["title"] == "check-failed"
    row = run_row(us)
    assert row["status"] == "aborted"
    assert row["blinding_scalar"] is None
    with us.store.unit_of_work() as uow:
        actions = [e.action for e in uow.audit.entries()]
    assert actions.count("match-check-failed") == 1
    again = check(us, sent, answer)
    assert again.status_code == 409
    assert again.json()["title"] == "run-finished"


def test_a_run_never_checked_loses_its_key_after_the_expiry(
    us: ServedNode, monkeypatch: pytest.MonkeyPatch
) -> None:
    from datetime import timedelta

    import enlace.matching.responder as responder

    sent, answer = opened(us, PHONES[:1])
    other_sent, other = opened(us, PHONES[1:2])
    with us.store.unit_of_work() as uow:
        scalars = [r[0] for r in uow.connection.execute(select(match_runs.c.blinding_scalar))]
    assert all(scalars)
    # Both runs are now older than the expiry: the next one touched is refused and loses
    # its key; the next run opened erases the other's.
    monkeypatch.setattr(responder, "RUN_EXPIRY", timedelta(0))
    late = check(us, sent, answer)
    assert late.status_code == 409
    assert late.json()["title"] == "run-expired"
    opened(us, PHONES[2:])
    monkeypatch.setattr(responder, "RUN_EXPIRY", timedelta(hours=1))
    with us.store.unit_of_work() as uow:
        rows = {
            r.id: (r.status, r.blinding_scalar) for r in uow.connection.execute(select(match_runs))
        }
    assert rows[answer.run_id.hex()] == ("expired", None)
    assert rows[other.run_id.hex()] == ("expired", None)
    assert check(us, other_sent, other).json()["title"] == "run-finished"
    # Each run left unfinished shows once in the log, as the partner's.
    with us.store.unit_of_work() as uow:
        expired = [(e.actor, e.subject) for e in uow.audit.entries() if e.action == "match-expired"]
        assert uow.audit.verify().ok
    assert sorted(expired) == sorted([("MX", answer.run_id.hex()), ("MX", other.run_id.hex())])
