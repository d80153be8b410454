"""Business rules. Functions take keyword-only arguments and a session they do not own."""
