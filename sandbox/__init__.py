"""The sandbox: a faithful, seeded local replay of Taobao, Tmall, JD and Weibo (issue 4).

``from sandbox import serve`` then ``with serve(seed=1, size=400) as sb: ...`` — see
:mod:`sandbox.server` for the Python API, :mod:`sandbox.refusals` for the refusal modes,
:mod:`sandbox.catalogue` for the catalogue and its ground truth, and ``sandbox/README.md``.
The server module (aiohttp) is imported on first use of :func:`serve` / :class:`Sandbox`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sandbox.catalogue import DEFAULT_BRANDS, Catalogue, Listing

if TYPE_CHECKING:
    from sandbox.server import Sandbox, serve

__all__ = ["DEFAULT_BRANDS", "Catalogue", "Listing", "Sandbox", "serve"]


def __getattr__(name: str) -> Any:
    if name in ("Sandbox", "serve", "mtop_sign", "DEFAULT_SIZE"):
        from sandbox import server

        return getattr(server, name)
    raise AttributeError(f"module 'sandbox' has no attribute {name!r}")
