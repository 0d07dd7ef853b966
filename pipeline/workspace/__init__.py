"""The review workspace: a local web app (``strategy-review serve``) where a person accepts, edits
or rejects each finding of a review. :mod:`.summary` has no web dependencies, so the ``decide``
command uses it too; :mod:`.app` is the Starlette app and :mod:`.server` runs it with uvicorn.
"""
