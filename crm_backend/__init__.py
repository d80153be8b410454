"""CRM backend: FastAPI app, persistence, business rules and operator CLI."""
