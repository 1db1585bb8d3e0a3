"""Bidder identity numbers: validation, encryption at rest, a keyed hash for matching, masking.

* PRC resident identity card number (GB 11643-1999): 18 characters, a region prefix, a birth date and
  an ISO 7064 MOD 11-2 check character.
* Unified social credit code of an organisation (GB 32100-2015): 18 characters from a 31-letter
  alphabet with a MOD 31 check character.
* Passport: number and nationality (ISO 3166-1 alpha-3, as printed in the passport's data page).

The number is stored encrypted with AES-256-GCM and alongside it an HMAC-SHA256 of its normalised
form; the hash is what barred-person and defaulter screening compares (WP arts.24, 34), so nothing
ever needs to decrypt a number to match it. After entry only the masked form is shown. Both keys are
derived (HKDF) from settings.FAPAI_IDENTITY_KEY; see docs/identity.md. Nothing here logs a number."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from core import clock


class IdType(models.TextChoices):
    RESIDENT_ID = "resident_id", _("PRC resident identity card")
    PASSPORT = "passport", _("Passport")
    USCC = "uscc", _("Unified social credit code")


# --- resident identity card (GB 11643-1999) ----------------------------------------------------------

RESIDENT_ID_WEIGHTS = [pow(2, 17 - i, 11) for i in range(17)]  # 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2
RESIDENT_ID_CHECK = "10X98765432"  # index = (weighted sum) mod 11
# First two digits: provinces (GB/T 2260), 71 Taiwan, 81 Hong Kong, 82 Macao, 83 residence permits of
# Taiwan residents, which use the same format.
PROVINCE_CODES = frozenset({
    "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37",
    "41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65",
    "71", "81", "82", "83",
})
_RESIDENT_ID_RE = re.compile(r"^\d{17}[\dX]$")
EARLIEST_BIRTH = date(1850, 1, 1)  # the GB 11643 specimen 440524188001010014 was born in 1880


def resident_id_check_char(first17: str) -> str:
    """The ISO 7064 MOD 11-2 check character of the first 17 digits."""
    if len(first17) != 17 or not first17.isdigit():
        raise ValueError("expected 17 digits")
    total = sum(int(d) * w for d, w in zip(first17, RESIDENT_ID_WEIGHTS, strict=True))
    return RESIDENT_ID_CHECK[total % 11]


def normalize_resident_id(raw: str) -> str:
    return raw.strip().replace(" ", "").upper()


def validate_resident_id(raw: str, today: date | None = None) -> str:
    """The normalised number, or a ValidationError saying what is wrong with it."""
    number = normalize_resident_id(raw)
    if not _RESIDENT_ID_RE.match(number):
        raise ValidationError(_("A resident ID number has 18 characters: 17 digits and a last digit or X."),
                              code="resident_id_format")
    if number[:2] not in PROVINCE_CODES or number[2:6] == "0000":
        raise ValidationError(_("The first six digits are not a valid region code."), code="resident_id_region")
    try:
        born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise ValidationError(_("Digits 7 to 14 are not a valid date of birth."), code="resident_id_birth")
    if not EARLIEST_BIRTH <= born <= (today or clock.today()):
        raise ValidationError(_("Digits 7 to 14 are not a valid date of birth."), code="resident_id_birth")
    if resident_id_check_char(number[:17]) != number[17]:
        raise ValidationError(_("The last character (check digit) does not match: please check the number."),
                              code="resident_id_check")
    return number


# --- unified social credit code (GB 32100-2015) ------------------------------------------------------

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # no I, O, S, V, Z
USCC_WEIGHTS = [pow(3, i, 31) for i in range(17)]  # 1 3 9 27 19 26 16 17 20 29 25 13 8 24 10 30 28
_USCC_RE = re.compile(rf"^[{USCC_ALPHABET}]{{2}}\d{{6}}[{USCC_ALPHABET}]{{10}}$")


def uscc_check_char(first17: str) -> str:
    """The GB 32100-2015 check character: 31 − (weighted sum mod 31), with 31 written as 0."""
    if len(first17) != 17 or any(c not in USCC_ALPHABET for c in first17):
        raise ValueError("expected 17 characters of the USCC alphabet")
    total = sum(USCC_ALPHABET.index(c) * w for c, w in zip(first17, USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def normalize_uscc(raw: str) -> str:
    return raw.strip().replace(" ", "").upper()


def validate_uscc(raw: str) -> str:
    number = normalize_uscc(raw)
    if not _USCC_RE.match(number):
        raise ValidationError(_("A unified social credit code has 18 characters: digits and capital letters "
                                "other than I, O, S, V and Z, with digits in positions 3 to 8."),
                              code="uscc_format")
    if uscc_check_char(number[:17]) != number[17]:
        raise ValidationError(_("The last character (check digit) does not match: please check the code."),
                              code="uscc_check")
    return number


# --- passports ---------------------------------------------------------------------------------------

_PASSPORT_RE = re.compile(r"^[A-Z0-9]{5,20}$")
_NATIONALITY_RE = re.compile(r"^[A-Z]{3}$")


def validate_passport(raw: str, nationality: str) -> tuple[str, str]:
    number = raw.strip().replace(" ", "").upper()
    country = nationality.strip().upper()
    if not _NATIONALITY_RE.match(country):
        raise ValidationError(_("Give the nationality as the three-letter code printed in the passport "
                                "(for example USA, GBR, JPN)."), code="nationality_format")
    if country == "CHN":
        # One person, one identity to screen: a Chinese citizen is identified by the resident ID.
        raise ValidationError(_("Chinese citizens register with their resident ID number."),
                              code="chinese_passport")
    if not _PASSPORT_RE.match(number):
        raise ValidationError(_("A passport number has 5 to 20 letters and digits."), code="passport_format")
    return number, country


# --- one validated identity ----------------------------------------------------------------------------


@dataclass(frozen=True)
class IdentityNumber:
    """A validated identity number. `canonical` is what the keyed hash and the encryption cover."""

    id_type: str
    number: str
    nationality: str = ""

    @property
    def canonical(self) -> str:
        if self.id_type == IdType.PASSPORT:
            return f"{self.id_type}:{self.nationality}:{self.number}"
        return f"{self.id_type}:{self.number}"

    @property
    def masked(self) -> str:
        return mask(self.number)


def parse_identity(id_type: str, number: str, nationality: str = "") -> IdentityNumber:
    """Validate a number of the given type; ValidationError (on the `id_number` field) if invalid."""
    try:
        if id_type == IdType.RESIDENT_ID:
            return IdentityNumber(id_type, validate_resident_id(number))
        if id_type == IdType.USCC:
            return IdentityNumber(id_type, validate_uscc(number))
        if id_type == IdType.PASSPORT:
            passport, country = validate_passport(number, nationality)
            return IdentityNumber(id_type, passport, country)
    except ValidationError as exc:
        field = "nationality" if exc.code in ("nationality_format", "chinese_passport") else "id_number"
        raise ValidationError({field: exc})
    raise ValidationError({"id_type": ValidationError(_("Choose the type of identity document."),
                                                      code="id_type")})


def mask(number: str) -> str:
    """110105********123X: the first six and last four characters of an 18-character number; of a
    shorter (passport) number, the first two and the last two."""
    if len(number) >= 14:
        return number[:6] + "*" * (len(number) - 10) + number[-4:]
    if len(number) > 4:
        return number[:2] + "*" * (len(number) - 4) + number[-2:]
    return "*" * len(number)


# --- keys, encryption, keyed hash ------------------------------------------------------------------------

CIPHER_VERSION = "v1"
_NONCE_BYTES = 12


@dataclass(frozen=True)
class _Keys:
    encryption: bytes
    hashing: bytes


def _key_material() -> bytes:
    configured = getattr(settings, "FAPAI_IDENTITY_KEY", "")
    if configured:
        material = configured.encode()
        if len(material) < 32:
            raise ImproperlyConfigured("FAPAI_IDENTITY_KEY must be at least 32 characters of random key material")
        return material
    # The embedded default: a key derived from SECRET_KEY, separated from Django's own uses by the HKDF label.
    return settings.SECRET_KEY.encode()


@lru_cache(maxsize=4)
def _derive(material: bytes) -> _Keys:
    def hkdf(label: bytes) -> bytes:
        return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"fapai-identity", info=label).derive(material)

    return _Keys(encryption=hkdf(b"aes-256-gcm"), hashing=hkdf(b"hmac-sha256"))


def _keys() -> _Keys:
    return _derive(_key_material())


def encrypt(identity: IdentityNumber) -> str:
    """`v1:` + base64(nonce ‖ AES-GCM ciphertext); the document type is bound as associated data."""
    nonce = os.urandom(_NONCE_BYTES)
    sealed = AESGCM(_keys().encryption).encrypt(nonce, identity.canonical.encode(), identity.id_type.encode())
    return f"{CIPHER_VERSION}:" + base64.b64encode(nonce + sealed).decode("ascii")


def decrypt(token: str, id_type: str) -> IdentityNumber:
    version, _sep, body = token.partition(":")
    if version != CIPHER_VERSION:
        raise ValueError("unknown identity cipher version")
    raw = base64.b64decode(body)
    canonical = AESGCM(_keys().encryption).decrypt(raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], id_type.encode()).decode()
    parts = canonical.split(":")
    if parts[0] != id_type:
        raise ValueError("identity type mismatch")
    if id_type == IdType.PASSPORT:
        return IdentityNumber(id_type, parts[2], parts[1])
    return IdentityNumber(id_type, parts[1])


def keyed_hash(identity: IdentityNumber) -> str:
    """HMAC-SHA256 of the canonical form, hex: equal for the same person whatever the account."""
    return hmac.new(_keys().hashing, identity.canonical.encode(), hashlib.sha256).hexdigest()
