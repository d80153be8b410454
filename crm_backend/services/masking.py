"""Masks for showing personal data partially (``j***@example.com``, ``9*** **67``)."""

from __future__ import annotations


def mask_email(email: str | None) -> str | None:
    if not email:
        return None
    local, sep, domain = email.partition("@")
    if not sep:
        return "***"
    return f"{local[:1]}***@{domain}"


def mask_phone(phone: str | None) -> str | None:
    if not phone:
        return None
    digits = [c for c in phone if c.isdigit()]
    if len(digits) < 4:
        return "***"
    local = digits[-8:]
    masked = local[0] + "*" * (len(local) - 3) + "".join(local[-2:])
    return f"{masked[:4]} {masked[4:]}" if len(masked) == 8 else masked


def mask_name(name: str | None) -> str | None:
    if not name:
        return None
    return " ".join(part[:1] + "*" * max(len(part) - 1, 1) for part in name.split())


def mask_contact(method: str | None, value: str | None) -> str | None:
    return mask_email(value) if method == "email" else mask_phone(value)
