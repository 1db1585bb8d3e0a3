"""Identity numbers: check digits (GB 11643 resident ID, GB 32100 unified social credit code),
passports, encryption at rest, the keyed hash and the masked form."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import override_settings
from hypothesis import given
from hypothesis import strategies as st

from bidding import identity
from bidding.identity import IdentityNumber, IdType
from bidding.models import BidderProfile
from tests.bidding.conftest import resident_id, sign_up

# Published examples: the GB 11643 specimen numbers and codes of well-known companies.
VALID_RESIDENT_IDS = ["11010519491231002X", "440524188001010014", "110105198001010016"]
VALID_USCC = ["91350100M000100Y43", "91330100716105852F", "91110108551385082Q", "914403001922038216"]


@pytest.mark.parametrize("number", VALID_RESIDENT_IDS)
def test_valid_resident_ids_are_accepted(number: str) -> None:
    assert identity.validate_resident_id(number.lower()) == number


@pytest.mark.parametrize(("number", "code"), [
    ("110105194912310020", "resident_id_check"),  # last digit should be X
    ("440524188001010015", "resident_id_check"),
    ("11010519491231002", "resident_id_format"),  # 17 characters
    ("1101051949123100XX", "resident_id_format"),
    ("990105194912310021", "resident_id_region"),  # no province 99
    ("110105194902300021", "resident_id_birth"),  # 30 February
    ("110105299901010021", "resident_id_birth"),  # born in the future
])
def test_invalid_resident_ids_are_refused_with_the_reason(number: str, code: str) -> None:
    with pytest.raises(ValidationError) as exc:
        identity.validate_resident_id(number)
    assert exc.value.code == code


@pytest.mark.parametrize("code", VALID_USCC)
def test_valid_credit_codes_are_accepted(code: str) -> None:
    assert identity.validate_uscc(f" {code.lower()} ") == code


@pytest.mark.parametrize(("code", "rule"), [
    ("91350100M000100Y44", "uscc_check"),
    ("91330100716105852E", "uscc_check"),
    ("91350100M000100Y4", "uscc_format"),
    ("9135010OM000100Y43", "uscc_format"),  # O is not in the alphabet
    ("913501A0M000100Y43", "uscc_format"),  # the region part must be digits
])
def test_invalid_credit_codes_are_refused_with_the_reason(code: str, rule: str) -> None:
    with pytest.raises(ValidationError) as exc:
        identity.validate_uscc(code)
    assert exc.value.code == rule


@given(st.text(alphabet="0123456789", min_size=17, max_size=17))
def test_resident_id_check_char_round_trip(first17: str) -> None:
    """Appending the computed check character always validates the check, and any other last
    character never does."""
    check = identity.resident_id_check_char(first17)
    assert check in identity.RESIDENT_ID_CHECK
    weights = identity.RESIDENT_ID_WEIGHTS
    total = sum(int(d) * w for d, w in zip(first17, weights, strict=True)) + (10 if check == "X" else int(check))
    assert total % 11 == 1  # ISO 7064 MOD 11-2


@given(st.text(alphabet=identity.USCC_ALPHABET, min_size=17, max_size=17))
def test_uscc_check_char_round_trip(first17: str) -> None:
    check = identity.uscc_check_char(first17)
    values = [identity.USCC_ALPHABET.index(c) for c in first17 + check]
    assert sum(v * w for v, w in zip(values, [*identity.USCC_WEIGHTS, 1], strict=True)) % 31 == 0


@given(st.integers(min_value=0, max_value=999), st.dates(min_value=identity.EARLIEST_BIRTH,
                                                         max_value=identity.EARLIEST_BIRTH.replace(year=2020)))
def test_generated_resident_ids_validate(seq: int, born: date) -> None:
    number = resident_id(born=born.strftime("%Y%m%d"), seq=seq)
    assert identity.validate_resident_id(number) == number
    wrong = number[:17] + ("0" if number[17] != "0" else "1")
    with pytest.raises(ValidationError):
        identity.validate_resident_id(wrong)


def test_passports_need_a_nationality_and_not_chinese() -> None:
    assert identity.parse_identity(IdType.PASSPORT, "e1234567", "usa") == IdentityNumber("passport", "E1234567", "USA")
    with pytest.raises(ValidationError) as exc:
        identity.parse_identity(IdType.PASSPORT, "E1234567", "CHN")
    assert "nationality" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        identity.parse_identity(IdType.PASSPORT, "E12", "USA")
    assert "id_number" in exc.value.message_dict


def test_masks() -> None:
    assert identity.mask("11010519491231002X") == "110105********002X"
    assert identity.mask("91350100M000100Y43") == "913501********0Y43"
    assert identity.mask("E1234567") == "E1****67"


def test_encryption_round_trip_and_fresh_nonce() -> None:
    number = IdentityNumber(IdType.RESIDENT_ID, "11010519491231002X")
    first, second = identity.encrypt(number), identity.encrypt(number)
    assert first != second  # a new nonce each time
    assert "11010519491231002X" not in first
    assert identity.decrypt(first, IdType.RESIDENT_ID) == number
    passport = IdentityNumber(IdType.PASSPORT, "E1234567", "USA")
    assert identity.decrypt(identity.encrypt(passport), IdType.PASSPORT) == passport


def test_ciphertext_is_bound_to_the_document_type() -> None:
    token = identity.encrypt(IdentityNumber(IdType.RESIDENT_ID, "11010519491231002X"))
    with pytest.raises(Exception):  # noqa: B017 - cryptography's InvalidTag
        identity.decrypt(token, IdType.PASSPORT)


def test_keyed_hash_matches_the_same_person_and_depends_on_the_key() -> None:
    a = IdentityNumber(IdType.RESIDENT_ID, "11010519491231002X")
    assert identity.keyed_hash(a) == identity.keyed_hash(IdentityNumber(IdType.RESIDENT_ID, "11010519491231002X"))
    assert identity.keyed_hash(a) != identity.keyed_hash(IdentityNumber(IdType.RESIDENT_ID, "440524188001010014"))
    default_hash = identity.keyed_hash(a)
    with override_settings(FAPAI_IDENTITY_KEY="another-key-of-at-least-32-characters!!"):
        assert identity.keyed_hash(a) != default_hash


@pytest.mark.django_db
def test_the_database_never_holds_the_plain_number() -> None:
    number = "11010519491231002X"
    profile = sign_up("plain", "王五", number)
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM bidding_bidderprofile WHERE id = %s", [profile.pk])
        row = cursor.fetchone()
    assert row is not None
    assert not any(number in str(value) for value in row)
    assert profile.id_masked == "110105********002X"
    stored = BidderProfile.objects.get(pk=profile.pk)
    assert identity.decrypt(stored.id_number_encrypted, stored.id_type).number == number
    assert stored.id_hash == identity.keyed_hash(IdentityNumber(IdType.RESIDENT_ID, number))
