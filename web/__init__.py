"""The web adapter: the customer's tracking page and the desk, server-rendered HTML."""
