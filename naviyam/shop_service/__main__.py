"""``python -m naviyam.shop_service``: serve the shop service with uvicorn on SHOP_HOST:SHOP_PORT."""
from __future__ import annotations

import uvicorn

from naviyam.config import get_settings
from naviyam.shop_service.app import create_app


def main() -> None:
    settings = get_settings()
    uvicorn.run(create_app(), host=settings.shop_host, port=settings.shop_port, proxy_headers=True,
                forwarded_allow_ips="127.0.0.1", log_level="info")


if __name__ == "__main__":
    main()
