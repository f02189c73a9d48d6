"""Polish identifiers (NIP, REGON, PESEL, KRS): normalization and checksums.

Pure Python, no ORM: the model layer turns :class:`InvalidIdentifier` into a translated
``ValidationError``. Checksums come from python-stdnum, already an Odoo dependency (the NIP's,
checked on every partner create, is computed here with the same rule).
"""

import re

from stdnum.exceptions import ValidationError as StdnumError
from stdnum.pl import pesel as stdnum_pesel
from stdnum.pl import regon as stdnum_regon

# Separators people type inside identifiers: spaces, dashes, dots, slashes.
_SEPARATORS = re.compile(r"[\s\-./]+")
_NIP_PREFIX = re.compile(r"^PL(?=\d)", re.IGNORECASE)
# The NIP's check digit: the weighted sum of the first nine digits modulo 11.
_NIP_WEIGHTS = (6, 5, 7, 2, 3, 4, 5, 6, 7)


class InvalidIdentifier(ValueError):
    """The value is not a valid identifier of its kind; ``reason`` says why."""

    def __init__(self, kind, value, reason):
        super().__init__(f"{kind} {value!r}: {reason}")
        self.kind = kind
        self.value = value
        self.reason = reason


def compact(value):
    """Remove separators and upper-case, keep everything else (letters included)."""
    return _SEPARATORS.sub("", value or "").upper()


def nip_digits(value):
    """The 10 digits of a NIP typed as ``PL 526-104-08-28`` or ``5261040828``,
    or ``None`` when the value is not shaped like a NIP at all."""
    digits = _NIP_PREFIX.sub("", compact(value))
    return digits if digits.isdigit() else None


def looks_polish_vat(value):
    """A VAT number that says it is Polish (``PL`` followed by digits)."""
    return bool(_NIP_PREFIX.match(compact(value)))


def _digits_only(kind, value):
    value = compact(value)
    if not value.isdigit():
        raise InvalidIdentifier(kind, value, "only digits are allowed")
    return value


def normalize_nip(value):
    digits = nip_digits(value)
    if digits is None:
        raise InvalidIdentifier("NIP", value, "only digits are allowed, after an optional PL prefix")
    if len(digits) != 10:
        raise InvalidIdentifier("NIP", value, "a NIP has 10 digits")
    if not nip_checksum_matches(digits):
        raise InvalidIdentifier("NIP", value, "the checksum does not match")
    return digits


def nip_checksum_matches(digits):
    """The check digit of 10 digits (python-stdnum's rule, without its generic cleaning:
    every partner created with a tax ID goes through here twice)."""
    if len(digits) != 10 or not digits.isascii() or not digits.isdigit():
        return False  # (str.isdigit() also takes other scripts' digits)
    return sum(w * int(d) for w, d in zip(_NIP_WEIGHTS, digits[:9], strict=True)) % 11 == int(digits[9])


def normalize_regon(value):
    digits = _digits_only("REGON", value)
    if len(digits) not in (9, 14):
        raise InvalidIdentifier("REGON", value, "a REGON has 9 or 14 digits")
    try:
        stdnum_regon.validate(digits)
    except StdnumError as exc:
        raise InvalidIdentifier("REGON", value, "the checksum does not match") from exc
    return digits


def normalize_pesel(value):
    digits = _digits_only("PESEL", value)
    if len(digits) != 11:
        raise InvalidIdentifier("PESEL", value, "a PESEL has 11 digits")
    try:
        stdnum_pesel.validate(digits)
    except StdnumError as exc:
        raise InvalidIdentifier("PESEL", value, "the checksum or the encoded birth date does not match") from exc
    return digits


def normalize_krs(value):
    # The KRS number has no check digit: the registry defines it as 10 digits.
    digits = _digits_only("KRS", value)
    if len(digits) > 10:
        raise InvalidIdentifier("KRS", value, "a KRS number has 10 digits")
    return digits.zfill(10)


def search_digits(value):
    """Digits of a search term typed with any separators and an optional PL prefix,
    or ``None`` when the term has other characters."""
    return nip_digits(value)
