"""Partners (contrapartes): the partner boundary, in one place.

Registering a partner and sharing this node's agencies with it (`registration`, `agencies`),
the tokens this node presents to partners (`credentials`), the one TLS-verified HTTP client to
a partner (`transport`), the one refusal of a party not registered (`registry`, `errors`), the
one session through which a call to a partner is made (`session`), and the one authentication
every partner API uses, with what it audits (`authentication`). `exchange` and `matching`
build on these; nothing here imports them.
"""
