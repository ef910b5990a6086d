"""The batched DLEQ proofs of enlace.matching.proofs against RFC 9497's published vectors.

The vectors are RFC 9497 Appendix A.1.2 (ristretto255-SHA512, VOPRF mode), copied from the
CFRG draft's poc/vectors/allVectors.json, which the RFC's appendix prints. A proof is
deterministic given its random scalar r, which the vectors fix.
"""

from __future__ import annotations

import rbcl

from enlace.matching.proofs import (
    CONTEXT,
    GENERATOR,
    expand_message_xmd,
    generate_proof,
    hash_to_scalar,
    verify_proof,
)

SK = bytes.fromhex("e6f73f344b79b379f1a0dd37e07ff62e38d9f71345ce62ae3a9bc60b04ccd909")
PK = bytes.fromhex("c803e2cc6b05fc15064549b5920659ca4a77b2cca6f04f6b357009335476ad4e")
BLIND = bytes.fromhex("64d37aed22a27f5191de1c1d69fadb899d8862b58eb4220029e036ec4c1f6706")

# Test Vector 1 and 2 (Batch Size 1), Test Vector 3 (Batch Size 2).
SINGLE = [
    (
        "863f330cc1a1259ed5a5998a23acfd37fb4351a793a5b3c090b642ddc439b945",
        "aa8fa048764d5623868679402ff6108d2521884fa138cd7f9c7669a9a014267e",
        "222a5e897cf59db8145db8d16e597e8facb80ae7d4e26d9881aa6f61d645fc0e",
        "ddef93772692e535d1a53903db24367355cc2cc78de93b3be5a8ffcc6985dd06"
        "6d4346421d17bf5117a2a1ff0fcb2a759f58a539dfbe857a40bce4cf49ec600d",
    ),
    (
        "cc0b2a350101881d8a4cba4c80241d74fb7dcbfde4a61fde2f91443c2bf9ef0c",
        "60a59a57208d48aca71e9e850d22674b611f752bed48b36f7a91b372bd7ad468",
        "222a5e897cf59db8145db8d16e597e8facb80ae7d4e26d9881aa6f61d645fc0e",
        "401a0da6264f8cf45bb2f5264bc31e109155600babb3cd4e5af7d181a2c9dc0a"
        "67154fabf031fd936051dec80b0b6ae29c9503493dde7393b722eafdf5a50b02",
    ),
]
BATCH_BLINDED = [
    "863f330cc1a1259ed5a5998a23acfd37fb4351a793a5b3c090b642ddc439b945",
    "90a0145ea9da29254c3a56be4fe185465ebb3bf2a1801f7124bbbadac751e654",
]
BATCH_EVALUATED = [
    "aa8fa048764d5623868679402ff6108d2521884fa138cd7f9c7669a9a014267e",
    "cc5ac221950a49ceaa73c8db41b82c20372a4c8d63e5dded2db920b7eee36a2a",
]
BATCH_R = "419c4f4f5052c53c45f3da494d2b67b220d02118e0857cdbcf037f9ea84bbe0c"
BATCH_PROOF = (
    "cc203910175d786927eeb44ea847328047892ddf8590e723c37205cb74600b0a"
    "5ab5337c8eb4ceae0494c2cf89529dcf94572ed267473d567aeed6ab873dee08"
)


def _hash_to_group(message: bytes) -> bytes:
    uniform = expand_message_xmd(message, b"HashToGroup-" + CONTEXT, 64)
    return bytes(rbcl.crypto_core_ristretto255_from_hash(uniform))


def test_public_key_and_elements_match_the_vectors() -> None:
    # The pieces the proofs are over: pkS = skS·G, BlindedElement = blind·H(input) and
    # EvaluationElement = skS·BlindedElement, with the RFC's HashToGroup (expand_message_xmd).
    assert bytes(rbcl.crypto_scalarmult_ristretto255_base(SK)) == PK
    assert bytes(rbcl.crypto_scalarmult_ristretto255_base(SK)) != GENERATOR
    assert bytes(rbcl.crypto_scalarmult_ristretto255_base(bytes([1]) + bytes(31))) == GENERATOR
    for message, (blinded, evaluated, _, _) in zip([b"\x00", b"\x5a" * 17], SINGLE, strict=True):
        point = bytes(rbcl.crypto_scalarmult_ristretto255(BLIND, _hash_to_group(message)))
        assert point.hex() == blinded
        assert bytes(rbcl.crypto_scalarmult_ristretto255(SK, point)).hex() == evaluated


def test_single_element_proofs_are_the_rfc_vectors() -> None:
    for blinded, evaluated, r, proof in SINGLE:
        c, d = [bytes.fromhex(blinded)], [bytes.fromhex(evaluated)]
        made = generate_proof(SK, PK, c, d, r=bytes.fromhex(r))
        assert made.hex() == proof
        assert verify_proof(PK, c, d, made)


def test_batch_of_two_proof_is_the_rfc_vector() -> None:
    c = [bytes.fromhex(x) for x in BATCH_BLINDED]
    d = [bytes.fromhex(x) for x in BATCH_EVALUATED]
    made = generate_proof(SK, PK, c, d, r=bytes.fromhex(BATCH_R))
    assert made.hex() == BATCH_PROOF
    assert verify_proof(PK, c, d, made)


def test_a_wrong_key_or_element_fails_verification() -> None:
    c = [bytes.fromhex(x) for x in BATCH_BLINDED]
    d = [bytes.fromhex(x) for x in BATCH_EVALUATED]
    proof = bytes.fromhex(BATCH_PROOF)
    other = bytes(rbcl.crypto_core_ristretto255_scalar_random())
    # One element raised to another key: the batch's proof no longer holds.
    d_bad = [d[0], bytes(rbcl.crypto_scalarmult_ristretto255(other, c[1]))]
    assert not verify_proof(PK, c, d_bad, proof)
    assert not verify_proof(bytes(rbcl.crypto_scalarmult_ristretto255_base(other)), c, d, proof)
    assert not verify_proof(PK, c, list(reversed(d)), proof)
    assert not verify_proof(PK, c, d, proof[:32] + bytes(32))
    assert not verify_proof(PK, c, d, b"\xff" * 64)  # not canonical scalars
    assert not verify_proof(PK, c, [d[0], b"\xff" * 32], proof)  # not a point
    # A cheater's own proof with its second key does not verify either.
    forged = generate_proof(other, PK, c, d_bad)
    assert not verify_proof(PK, c, d_bad, forged)


def test_hash_to_scalar_is_reduced_and_deterministic() -> None:
    first = hash_to_scalar(b"x")
    assert first == hash_to_scalar(b"x") != hash_to_scalar(b"y")
    assert bytes(rbcl.crypto_core_ristretto255_scalar_reduce(first + bytes(32))) == first
