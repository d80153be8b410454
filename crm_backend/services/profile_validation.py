"""Checking and normalising a new profile value, one field at a time.

Messages are shown to the customer: they say what is wrong and never repeat the value.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from crm_backend.errors import InvalidInput
from crm_backend.models import Customer
from crm_backend.models.enums import ProfileField
from crm_backend.services.contacts import PHONE_CHARACTERS, normalise_email, normalise_phone
from crm_backend.services.districts import find_district
from crm_backend.services.masking import mask_email, mask_name, mask_phone

FIELD = "value"
FIELD_LABELS = {
    ProfileField.NAME: "name",
    ProfileField.EMAIL: "email address",
    ProfileField.PHONE: "phone number",
    ProfileField.ADDRESS: "address",
    ProfileField.PREFERRED_LANGUAGE: "preferred language",
}
NAME_MAX = 100
ADDRESS_MIN, ADDRESS_MAX = 5, 200
EMAIL_MAX, EMAIL_LOCAL_MAX = 254, 64
LANGUAGES = ("en", "zh-HK")


@dataclass(frozen=True, slots=True)
class CheckedValue:
    """A valid new value in its stored form (``district`` only for an address)."""

    value: str
    district: str | None = None


def check_value(field: ProfileField, raw: str) -> CheckedValue:
    """The normalised value, or InvalidInput("value", what is wrong)."""
    value = raw.strip()
    if not value:
        raise InvalidInput(FIELD, f"the new {FIELD_LABELS[field]} is empty")
    if field == ProfileField.EMAIL:
        return CheckedValue(_email(value))
    if field == ProfileField.PHONE:
        return CheckedValue(_phone(value))
    if field == ProfileField.ADDRESS:
        address = _address(value)
        return CheckedValue(address, find_district(address))
    if field == ProfileField.NAME:
        return CheckedValue(_name(value))
    return CheckedValue(_language(value))


# --- email -------------------------------------------------------------------------------

_LOCAL = re.compile(r"^[A-Za-z0-9._+-]+$")
_LABEL = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$")
PLAIN_EMAIL = (
    "use the address's plain form (letters, digits and . _ + - only); accented and "
    "non-Latin characters are not accepted in an email address"
)


def _email(value: str) -> str:
    if any(ch.isspace() for ch in value):
        raise InvalidInput(FIELD, "an email address cannot contain spaces")
    if value.count("@") != 1:
        raise InvalidInput(FIELD, "that is not an email address; it looks like name@example.com")
    local, _, domain = value.partition("@")
    if not local or not domain:
        raise InvalidInput(FIELD, "that is not an email address; it looks like name@example.com")
    if not value.isascii():
        raise InvalidInput(FIELD, PLAIN_EMAIL)
    if len(value) > EMAIL_MAX or len(local) > EMAIL_LOCAL_MAX:
        raise InvalidInput(FIELD, "that email address is too long")
    if not _LOCAL.match(local):
        raise InvalidInput(FIELD, "the part before @ may contain letters, digits and . _ + - only")
    if local.startswith(".") or local.endswith(".") or ".." in local:
        raise InvalidInput(
            FIELD, "the part before @ cannot start or end with a dot or have two dots in a row"
        )
    labels = domain.split(".")
    if (
        len(labels) < 2
        or not all(_LABEL.match(label) for label in labels)
        or not re.fullmatch(r"[A-Za-z]{2,63}", labels[-1])
    ):
        raise InvalidInput(FIELD, "the part after @ must be a domain such as example.com")
    normalised = normalise_email(value)
    if normalised is None:  # stricter than contacts.normalise_email; kept in step with it
        raise InvalidInput(FIELD, "that is not an email address; it looks like name@example.com")
    return normalised


# --- phone -------------------------------------------------------------------------------

PHONE_CHARS_MESSAGE = (
    "that is not a phone number; a phone number may contain digits, spaces, dashes and a "
    "leading + only"
)


def _phone(value: str) -> str:
    """Specific messages for the two ways a phone number fails (characters, then validity);
    the normalisation itself is the one every contact goes through."""
    if not PHONE_CHARACTERS.match(value) or not any(ch.isdigit() for ch in value):
        raise InvalidInput(FIELD, PHONE_CHARS_MESSAGE)
    normalised = normalise_phone(value)
    if normalised is None:
        raise InvalidInput(FIELD, _PHONE_INVALID)
    return normalised


_PHONE_INVALID = (
    "that is not a valid phone number; give a Hong Kong number of 8 digits (like 9123 4567) "
    "or the full number with its country code (like +44 20 7946 0018)"
)


# --- address -----------------------------------------------------------------------------


def _address(value: str) -> str:
    address = " ".join(value.split())
    if len(address) > ADDRESS_MAX:
        raise InvalidInput(FIELD, f"address is too long (at most {ADDRESS_MAX} characters)")
    if len(address) < ADDRESS_MIN:
        raise InvalidInput(FIELD, f"address is too short (at least {ADDRESS_MIN} characters)")
    if "<" in address or ">" in address:
        raise InvalidInput(FIELD, "an address cannot contain < or >")
    return address


# --- name --------------------------------------------------------------------------------

_NAME_PUNCTUATION = frozenset(" -'.\u2019")
NAME_CHARS_MESSAGE = "a name may contain letters, spaces, hyphens, apostrophes and full stops only"
# Two-character Chinese family names, so 歐陽小明 splits as 歐陽 / 小明.
_COMPOUND_SURNAMES = frozenset(
    {
        "歐陽", "司徒", "上官", "諸葛", "司馬", "慕容", "尉遲", "端木", "公孫", "夏侯",
        "皇甫", "令狐", "東方", "西門", "長孫", "宇文", "欧阳", "诸葛", "司马",
    }
)  # fmt: skip


def _name(value: str) -> str:
    name = " ".join(unicodedata.normalize("NFC", value).split())
    if len(name) > NAME_MAX:
        raise InvalidInput(FIELD, f"name is too long (at most {NAME_MAX} characters)")
    for ch in name:
        if ch in _NAME_PUNCTUATION:
            continue
        if unicodedata.category(ch)[0] not in ("L", "M"):
            raise InvalidInput(FIELD, NAME_CHARS_MESSAGE)
    if not any(unicodedata.category(ch).startswith("L") for ch in name):
        raise InvalidInput(FIELD, "a name needs at least one letter")
    return name


def split_name(name: str) -> tuple[str, str | None]:
    """(family name, given name) of a name written family name first: "Chan Tai Man" ->
    ("Chan", "Tai Man"); "陳大文" -> ("陳", "大文"); a single word is a family name."""
    parts = name.split(" ", 1)
    if len(parts) == 2:
        return parts[0], parts[1]
    if 2 <= len(name) <= 5 and all(_is_cjk(ch) for ch in name):
        family_len = 2 if name[:2] in _COMPOUND_SURNAMES and len(name) > 2 else 1
        return name[:family_len], name[family_len:]
    return name, None


def _is_cjk(ch: str) -> bool:
    return "\u3400" <= ch <= "\u9fff" or "\uf900" <= ch <= "\ufaff"


def family_first_name(customer: Customer) -> str | None:
    """The customer's name as this field holds it: family name first."""
    if (
        customer.family_name
        and customer.given_name
        and all(_is_cjk(ch) for ch in customer.family_name + customer.given_name)
    ):
        return customer.family_name + customer.given_name
    joined = " ".join(p for p in (customer.family_name, customer.given_name) if p)
    return joined or None


# --- preferred language ------------------------------------------------------------------

_LANGUAGE_WORDS = {
    "en": (
        "en", "eng", "english", "en-gb", "en-us", "en-hk", "英文", "英語", "英语",
    ),
    "zh-HK": (
        "zh-hk", "zh_hk", "zh", "zh-hant", "zh-tw", "chinese", "cantonese",
        "traditional chinese", "chinese (traditional)", "hong kong chinese",
        "中文", "繁體中文", "繁体中文", "繁體", "廣東話", "广东话", "粵語", "粤语", "廣州話",
    ),
}  # fmt: skip
_LANGUAGE_OF = {word: code for code, words in _LANGUAGE_WORDS.items() for word in words}


def _language(value: str) -> str:
    code = _LANGUAGE_OF.get(" ".join(value.split()).casefold())
    if code is None:
        raise InvalidInput(FIELD, "preferred language must be English (en) or Chinese (zh-HK)")
    return code


# --- current values, sameness and masks ---------------------------------------------------


def current_value(customer: Customer, field: ProfileField) -> str | None:
    if field == ProfileField.NAME:
        return family_first_name(customer)
    if field == ProfileField.EMAIL:
        return customer.email or None
    if field == ProfileField.PHONE:
        return customer.phone or None
    if field == ProfileField.ADDRESS:
        return customer.address_line or None
    return customer.preferred_language


def is_current(customer: Customer, field: ProfileField, new: CheckedValue) -> bool:
    """Whether the new value is the one on file already (in its normalised form)."""
    current = current_value(customer, field)
    if current is None:
        return False
    if field == ProfileField.EMAIL:
        on_file = normalise_email(current)
        return on_file is not None and on_file.casefold() == new.value.casefold()
    if field == ProfileField.PHONE:
        return normalise_phone(current) == new.value
    # Names and addresses compare exactly (after spacing), so a case correction is a change.
    return " ".join(current.split()) == new.value


def mask_address(address: str | None, district: str | None) -> str | None:
    if not address:
        return None
    return f"*** {district}" if district else "***"


def mask_value(field: ProfileField, value: str | None, district: str | None = None) -> str | None:
    """How a value of the field is shown back (and kept in the change history)."""
    if value is None:
        return None
    if field == ProfileField.NAME:
        return mask_name(value)
    if field == ProfileField.EMAIL:
        return mask_email(value)
    if field == ProfileField.PHONE:
        return mask_phone(value)
    if field == ProfileField.ADDRESS:
        return mask_address(value, district)
    return value  # a language code is not personal


def apply_value(customer: Customer, field: ProfileField, value: str, district: str | None) -> None:
    if field == ProfileField.NAME:
        customer.family_name, customer.given_name = split_name(value)
    elif field == ProfileField.EMAIL:
        customer.email = value
    elif field == ProfileField.PHONE:
        customer.phone = value
    elif field == ProfileField.ADDRESS:
        customer.address_line = value
        customer.district = district
    else:
        customer.preferred_language = value
