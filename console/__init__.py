"""The review console: a web app (FastAPI, Jinja2) over storage for analysts, with a JSON API.

It uses ``storage``, the feature services and ``markwatch``; nothing imports it. Start it with
``markwatch serve``; add people with ``markwatch users add``.
"""
