"""The FastAPI application of the shop service: pages, the JSON API, QR images, health."""
from __future__ import annotations

import io

import segno
from fastapi import FastAPI, HTTPException
from fastapi.responses import Response

from naviyam.domain import redeem_code
from naviyam.shop_service import api, chat, closures, pages

DESCRIPTION = """Shops redeem the codes children show, mark menus sold out and set today's hours;
operator systems use the seed 004 §6.1 endpoints. Credentials: a shop's staff session
(cookie from /login; state-changing calls send its CSRF token in `X-CSRF-Token`) or
`Authorization: Bearer $NAVIYAM_OPERATOR_TOKEN`. See docs/SHOP_CONSOLE.md."""


def create_app() -> FastAPI:
    app = FastAPI(title="Naviyam shop service", version="1", description=DESCRIPTION)
    app.include_router(api.router)
    app.include_router(pages.router)
    app.include_router(chat.router)
    app.include_router(closures.router)

    @app.get("/healthz", tags=["health"])
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/qr/{code}.png", tags=["qr"], response_class=Response,
             responses={200: {"content": {"image/png": {}}}, 404: {"description": "not a redeem code"}})
    def qr(code: str) -> Response:
        """The QR image of a redeem code (messengers show it by URL). It encodes only the code
        in the URL, so it reveals nothing the URL does not."""
        normal = redeem_code.normalise(code)
        if normal is None:
            raise HTTPException(404, "not a redeem code")
        buffer = io.BytesIO()
        segno.make(normal, error="m", micro=False).save(buffer, kind="png", scale=6, border=2)
        return Response(buffer.getvalue(), media_type="image/png",
                        headers={"Cache-Control": "private, max-age=3600"})

    return app
