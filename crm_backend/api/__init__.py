"""HTTP layer: thin routers over ``services``."""
