"""Item art: expiring image links.

Choices where Flourish's public notes are silent
------------------------------------------------
Each is a guess kept easy to change; none is confirmed by Flourish.

5. Art: ``expire`` accepts ``<n>[s|m|h|d]`` (default ``1h``; anything else → 400). Links are
   ``/_sandbox/art/<item id>/<kind>.png?expires=<unix ts>``, answer a 1x1 PNG, and 403 once expired.
"""

from __future__ import annotations

import re
import time
import zlib

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from cannasync.sandboxes._kit.gateway import CONTROL
from cannasync.sandboxes._kit.values import png
from cannasync.sandboxes.flourish.base import StateBase
from cannasync.sandboxes.flourish.wire import JSON, V1, ApiError, one, sandbox_of


class ArtMixin(StateBase):
    """Which images each item has."""

    def item_art(self, item_id: str) -> tuple[str, ...]:
        with self.lock:
            self._item(item_id)
            return self.art.get(item_id, ())


_EXPIRE = re.compile(r"^(\d+)([smhd]?)$")
_EXPIRE_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


def _expire_seconds(value: str | None) -> int:
    match = _EXPIRE.match((value or "1h").strip().lower())
    if not match or int(match.group(1)) == 0:
        raise ApiError(400, "expire must look like 30m, 8h or 1d")
    return int(match.group(1)) * _EXPIRE_UNITS[match.group(2)]


async def item_art(request: Request) -> Response:
    item_id = request.path_params["item_id"]
    seconds = _expire_seconds(request.query_params.get("expire"))
    kinds = sandbox_of(request).item_art(item_id)
    if not kinds:
        return Response(status_code=204)
    expires = int(time.time()) + seconds
    base = str(request.base_url).rstrip("/")
    links: JSON = {"product": None, "label": None, "packaging": None}
    for kind in kinds:
        links[kind] = f"{base}{CONTROL}/art/{item_id}/{kind}.png?expires={expires}"
    return one(links)


async def art_image(request: Request) -> Response:
    item_id, filename = request.path_params["item_id"], request.path_params["filename"]
    kind = filename.removesuffix(".png")
    try:
        expires = int(request.query_params.get("expires", ""))
    except ValueError:
        raise ApiError(403, "Link is missing a valid expiry") from None
    if expires < time.time():
        raise ApiError(403, "Link expired")
    if not filename.endswith(".png") or kind not in sandbox_of(request).item_art(item_id):
        raise ApiError(404, "Not found")
    shade = zlib.crc32(f"{item_id}/{kind}".encode())
    rgb = (shade & 0xFF, (shade >> 8) & 0xFF, (shade >> 16) & 0xFF)
    return Response(png(rgb), media_type="image/png", headers={"Cache-Control": "private, max-age=300"})


ROUTES = [Route(f"{V1}/items/{{item_id}}/art", item_art, methods=["GET"])]
#: The image links ``item_art`` hands out (counted like the vendor's routes, never authenticated).
IMAGE = Route(f"{CONTROL}/art/{{item_id}}/{{filename}}", art_image, methods=["GET"])
