"""Pydantic request and response schemas, apart from the ORM models."""
