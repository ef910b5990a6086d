"""Properties of markings: anything derived from records is never less restricted than they are."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from enlace.model.markings import (
    Evaluation,
    HandlingCode,
    InformationAccuracy,
    Markings,
    SourceReliability,
    Tlp,
    most_restrictive,
)

PROPERTIES = settings(max_examples=200, deadline=None)
PARTIES = ("MX", "US", "CA", "GT", "CO")
HANDLING_ORDER = (HandlingCode.H0, HandlingCode.H1, HandlingCode.H2, HandlingCode.H3)

evaluations = st.builds(
    Evaluation, st.sampled_from(SourceReliability), st.sampled_from(InformationAccuracy)
)
restriction_texts = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")),
    min_size=1,
    max_size=20,
).filter(lambda text: bool(text.strip()))


@st.composite
def markings(draw: st.DrawFn) -> Markings:
    """Any valid markings; H3 always carries its text, the other codes none."""
    handling = draw(st.sampled_from(HandlingCode))
    return Markings(
        tlp=draw(st.sampled_from(Tlp)),
        releasable_to=draw(st.frozensets(st.sampled_from(PARTIES))),
        handling=handling,
        evaluation=draw(evaluations),
        handling_text=draw(restriction_texts) if handling is HandlingCode.H3 else None,
    )


marking_lists = st.lists(markings(), min_size=1, max_size=6)


@PROPERTIES
@given(marking_lists)
def test_result_tlp_is_at_least_each_inputs(items: list[Markings]) -> None:
    result = most_restrictive(items)
    assert all(result.tlp.rank >= m.tlp.rank for m in items)
    assert result.tlp in {m.tlp for m in items}


@PROPERTIES
@given(marking_lists)
def test_result_releasability_is_within_each_inputs(items: list[Markings]) -> None:
    result = most_restrictive(items)
    assert all(result.releasable_to <= m.releasable_to for m in items)


@PROPERTIES
@given(marking_lists, st.sampled_from(PARTIES))
def test_party_allowed_by_result_is_allowed_by_every_input(
    items: list[Markings], party: str
) -> None:
    result = most_restrictive(items)
    if result.releasable_to_party(party):
        assert all(m.releasable_to_party(party) for m in items)
    if any(m.national_only for m in items):
        assert result.national_only


@PROPERTIES
@given(marking_lists)
def test_result_handling_and_evaluation_are_at_least_as_strict(items: list[Markings]) -> None:
    result = most_restrictive(items)
    rank = HANDLING_ORDER.index
    assert all(rank(result.handling) >= rank(m.handling) for m in items)
    weakness = result.evaluation.weakness
    assert all(weakness[0] >= m.evaluation.weakness[0] for m in items)
    assert all(weakness[1] >= m.evaluation.weakness[1] for m in items)
    for m in items:
        if m.handling_text:
            assert result.handling_text is not None
            assert m.handling_text in result.handling_text


@PROPERTIES
@given(markings(), markings())
def test_most_restrictive_is_commutative(a: Markings, b: Markings) -> None:
    assert most_restrictive([a, b]) == most_restrictive([b, a])


@PROPERTIES
@given(marking_lists, st.randoms(use_true_random=False))
def test_most_restrictive_ignores_order(items: list[Markings], random: object) -> None:
    shuffled = list(items)
    random.shuffle(shuffled)  # type: ignore[attr-defined]
    assert most_restrictive(shuffled) == most_restrictive(items)


@PROPERTIES
@given(markings())
def test_most_restrictive_is_idempotent(a: Markings) -> None:
    assert most_restrictive([a]) == a
    assert most_restrictive([a, a]) == a


@PROPERTIES
@given(marking_lists)
def test_combining_again_changes_nothing(items: list[Markings]) -> None:
    result = most_restrictive(items)
    assert most_restrictive([result]) == result
    assert most_restrictive(items + items) == result
    # With the result among the inputs again, every level stays put (the H3 texts are
    # re-joined, so they are only checked to be all there).
    again = most_restrictive([*items, result])
    assert (again.tlp, again.releasable_to, again.handling, again.evaluation) == (
        result.tlp,
        result.releasable_to,
        result.handling,
        result.evaluation,
    )
    assert (again.handling_text is None) == (result.handling_text is None)
    for m in items:
        assert m.handling_text is None or m.handling_text in (again.handling_text or "")


@PROPERTIES
@given(markings(), markings(), markings())
def test_most_restrictive_is_associative_on_levels(a: Markings, b: Markings, c: Markings) -> None:
    # H3 texts are joined into one text, so only their presence is compared here.
    left = most_restrictive([most_restrictive([a, b]), c])
    right = most_restrictive([a, most_restrictive([b, c])])
    flat = most_restrictive([a, b, c])
    for derived in (left, right):
        assert derived.tlp is flat.tlp
        assert derived.releasable_to == flat.releasable_to
        assert derived.handling is flat.handling
        assert derived.evaluation == flat.evaluation


@PROPERTIES
@given(
    st.sampled_from(Tlp),
    st.lists(st.booleans(), min_size=20, max_size=20),
    st.sampled_from(["", "TLP:", "tlp:"]),
    st.sampled_from(["", " ", "  "]),
)
def test_tlp_parse_is_blind_to_case_prefix_and_padding(
    tlp: Tlp, upper: list[bool], prefix: str, pad: str
) -> None:
    body = "".join(
        c.upper() if flip else c.lower() for c, flip in zip(tlp.value, upper, strict=False)
    )
    assert Tlp.parse(pad + prefix + body + pad) is tlp
    assert Tlp.parse(tlp.label) is tlp


@PROPERTIES
@given(evaluations, st.sampled_from(["", "-", "/", " "]), st.booleans())
def test_evaluation_text_round_trips(evaluation: Evaluation, separator: str, lower: bool) -> None:
    text = f"{evaluation.source.value}{separator}{int(evaluation.accuracy)}"
    assert Evaluation.parse(text.lower() if lower else text) == evaluation
    assert Evaluation.parse(str(evaluation)) == evaluation
