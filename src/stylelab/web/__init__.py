"""The Style Lab web experiment: a local FastAPI app with a vanilla HTML/JS canvas.

Build it with :func:`stylelab.web.app.create_app` and a
:class:`stylelab.web.settings.WebSettings`; ``stylelab serve`` runs it with uvicorn.
"""
