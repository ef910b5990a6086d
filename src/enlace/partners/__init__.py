"""Partners (contrapartes): the one authentication every partner API uses, and what it audits.

Registration, credentials and the client session join this package as the partner boundary
is gathered in one place (docs/architecture.md).
"""
