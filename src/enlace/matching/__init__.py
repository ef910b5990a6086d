"""Private matching: find what two parties both hold, and learn nothing else.

Kept free of imports on purpose: the blinding worker processes import
`enlace.matching.group` and should load only the curve arithmetic, not the store or the web.
"""
