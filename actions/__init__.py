"""Rasa custom actions (rasa-sdk), one module per workflow, plus the backend client."""
