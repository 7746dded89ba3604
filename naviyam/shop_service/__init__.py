"""The shop and operator HTTP service (issue 13): FastAPI, on SHOP_PORT (default 5060).

An entry point like ``actions`` and ``naviyam.manage``: it parses requests, checks the
credential (a shop's staff session cookie with its CSRF token, or the operator's bearer
token), calls one use case and renders JSON or a page. Start it with
``python -m naviyam.shop_service``; the OpenAPI description is served at ``/openapi.json``
and the interactive docs at ``/docs``. See docs/SHOP_CONSOLE.md.
"""
