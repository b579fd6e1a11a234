"""Pith Number derivation and parsing, against the facts of the seed bundle."""

from __future__ import annotations

import json

import pytest
from conftest import SEED_BODY, SEED_HASH, SEED_NUMBER, SEED_TEXT, SEED_TITLE

from pithtex.core.digests import canon_text, record_number, record_sha256, text_canon_sha256
from pithtex.core.errors import NumberFormatError
from pithtex.core.numbers import PithNumber, parse_full_number, parse_number
from pithtex.trust.keyring import fingerprint_b32, fingerprint_hex

SEED = json.loads(SEED_TEXT)


def test_seed_record_hash_and_number() -> None:
    record = SEED["canonical_record"]
    assert record_sha256(record) == SEED_HASH
    number = record_number(record)
    assert number.full == SEED_NUMBER
    assert number.body == SEED_BODY
    assert number.short_form == "pith:J655K2KR" == SEED["short_pith_number"]
    assert [number.short(n) for n in (8, 12, 16)] == [
        "J655K2KR",
        "J655K2KRI7DJ",
        "J655K2KRI7DJHF4S",
    ]


def test_seed_title_hash() -> None:
    assert (
        text_canon_sha256(SEED_TITLE) == SEED["canonical_record"]["metadata"]["title_canon_sha256"]
    )
    assert text_canon_sha256(f"  {SEED_TITLE.upper()}\n") == text_canon_sha256(SEED_TITLE)
    assert text_canon_sha256(SEED_TITLE.replace(" ", " \t ")) == text_canon_sha256(SEED_TITLE)
    assert text_canon_sha256(SEED_TITLE + ".") != text_canon_sha256(SEED_TITLE)


def test_canon_text_normalises() -> None:
    assert canon_text("  \uff21\uff22\uff23\u00a0 \ufb01x  ") == "abc fix"
    assert canon_text("Straße") == "strasse"


def test_seed_key_fingerprints() -> None:
    raw = bytes.fromhex(SEED["public_keys"][0]["public_key_hex"])
    assert fingerprint_hex(raw) == "8d4b5ee74e4693bcd1df2446408b0d54"
    assert fingerprint_b32(raw) == "RVFV5Z2OI2J3ZUO7ERDEBCYNKS"


@pytest.mark.parametrize(
    ("typed", "body", "year"),
    [
        (SEED_NUMBER, SEED_BODY, 2019),
        (f"  {SEED_NUMBER.lower()}  ", SEED_BODY, 2019),
        (SEED_BODY, SEED_BODY, None),
        (SEED_BODY.lower(), SEED_BODY, None),
        (f"pith:{SEED_BODY}", SEED_BODY, None),
        ("pith:J655K2KR", "J655K2KR", None),
        ("PITH:j655k2kr", "J655K2KR", None),
        ("J655K2KRI7DJ", "J655K2KRI7DJ", None),
        ("J655K2KRI7DJHF4S", "J655K2KRI7DJHF4S", None),
        (f"https://pith.science/pith/{SEED_BODY}", SEED_BODY, None),
        (f"https://mirror.example.org/x/pith/{SEED_BODY}/bundle.json", SEED_BODY, None),
    ],
)
def test_parse_number_accepts_what_users_type(typed: str, body: str, year: int | None) -> None:
    ref = parse_number(typed)
    assert (ref.body, ref.year) == (body, year)
    assert PithNumber(SEED_BODY, 2019).matches(ref)


@pytest.mark.parametrize(
    ("typed", "fragment"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("pith:J655K2K", "7 characters"),
        ("J655K2KRI7DJHF4SOFYZCQRRE5X", "27 characters"),
        ("J655K2KRI7DJHF4SOFYZCQRRE1", "'1'"),
        ("pith:J655K2K\\", "'\\\\'"),
        ("pith:J655{2KR", "'{'"),
        ("pith:19:J655K2KR", "four digits"),
        ("pith:2019:J655:K2KR", "pith:YEAR:BODY"),
        ("x" * 500, "too long"),
    ],
)
def test_parse_number_errors_are_precise(typed: str, fragment: str) -> None:
    with pytest.raises(NumberFormatError) as info:
        parse_number(typed)
    assert fragment in str(info.value)


def test_full_number_required_where_asked() -> None:
    assert parse_full_number(SEED_NUMBER) == PithNumber(SEED_BODY, 2019)
    with pytest.raises(NumberFormatError, match="short form; the full 26-character"):
        parse_full_number("pith:J655K2KR")


def test_other_year_does_not_match() -> None:
    assert not PithNumber(SEED_BODY, 2019).matches(parse_number(f"pith:2020:{SEED_BODY}"))
    assert not PithNumber(SEED_BODY, 2019).matches(parse_number("pith:J655K2KS"))
