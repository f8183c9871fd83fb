"""Use cases ("interactors"): take a session and domain objects, run one business action.

They flush but never commit: the caller (CLI command, handler, scheduled job) owns
the transaction — `async with sessionmaker() as s, s.begin(): await import_plan(s, ...)`.
"""
