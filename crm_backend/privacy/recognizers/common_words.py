"""Capitalised words that are never part of a name: sentence openers and function words.

Shared by the scrubber's pre-check (a text whose only capitalised words are these is not
analysed) and the name recognizer (these never start or continue a name), so the two agree.
Plain Python, no Presidio import: the pre-check runs before anything is loaded. The second
group are the retail and customer-service words that open sentences and notes ("Email
bounced", "Refund processed", "Admin console"); none is a given name or a surname.
"""

from __future__ import annotations

COMMON_CAPITALISED_WORDS = frozenset((
    "i", "i'm", "i've", "i'd", "i'll", "a", "an", "the", "my", "our", "we", "you", "your", "it",
    "it's", "its", "this", "that", "these", "those", "there", "then", "they", "he", "she", "his",
    "her", "hi", "hello", "hey", "dear", "thanks", "thank", "please", "yes", "no", "not", "ok",
    "okay", "sorry", "what", "when", "where", "why", "how", "who", "which", "can", "could",
    "would", "should", "is", "are", "was", "were", "do", "does", "did", "have", "has", "had",
    "if", "and", "but", "so", "also", "just", "still", "after", "before", "today", "yesterday",
    "tomorrow", "in", "on", "at", "for", "to", "from", "with", "as", "all", "any", "some", "one",
    "two", "very", "really", "now", "again",
    # retail and customer-service words
    "email", "e-mail", "emails", "admin", "box", "boxes", "order", "orders", "delivery",
    "delivered", "refund", "refunds", "refunded", "item", "items", "size", "staff", "customer",
    "customers", "store", "shop", "website", "web", "app", "login", "logins", "account",
    "password", "payment", "receipt", "invoice", "warranty", "price", "product", "products",
    "stock", "courier", "parcel", "package", "ticket", "note", "notes", "update", "updated",
    "change", "new", "old", "call", "called", "phone", "mobile", "address", "bank", "card",
    "follow-up", "escalation", "escalated", "fraud", "chargeback", "duplicate", "session",
    "blocked", "verified", "site", "complaint", "complaints", "replacement", "exchange",
    "return", "returned", "model", "serial", "qty", "total", "paid", "promo", "code", "points",
    "balance", "queue", "opening", "chat", "energy", "label", "finance", "repeated", "cs",
    "fyi", "pls", "urgent", "asap", "re", "cc", "fw", "fwd", "subject", "lid", "screen",
    "technician", "supervisor", "manager", "agent", "hotline", "member", "membership",
    "voucher", "discount", "sale", "service", "services", "repair", "repairs", "installation",
    "appointment", "booking", "confirmed", "cancelled", "canceled", "pending", "closed",
    "open", "reopened", "resolved", "approved", "rejected", "waived", "shipping", "shipped",
    "tracking", "status", "error", "errors", "api", "id", "hkid", "sms", "otp", "pin",
    "online", "offline", "checkout", "cart", "basket", "quantity", "unit", "units", "battery",
    "charger", "cable", "remote", "manual", "instructions", "spare", "parts", "dear", "regards",
    "best", "kind", "cheers", "urgent", "important", "reminder", "attention", "attn",
    "someone", "anyone", "nobody", "everyone", "everything", "nothing", "bought", "ordered",
    "moved", "public", "holiday", "fine", "billing", "why", "because", "since", "until", "per",
    "about", "by", "or", "not", "never", "why", "maybe", "here", "sir", "madam", "team",
))  # fmt: skip
