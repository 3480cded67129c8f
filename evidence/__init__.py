"""Evidence: captures of listing pages that a platform's staff and a court can check.

A capture (``evidence.capture``) keeps, per listing, a screenshot with a band (URL as loaded, UTC time,
account, proxy, SHA-256 of the HTML), the HTML, a WARC of every response the page loaded, a video of
the capture session, a capture log, and a manifest of their SHA-256 hashes. Each capture run is
timestamped once by an RFC 3161 time-stamping authority (``evidence.timestamp``): the run's manifest
hashes form a Merkle tree (``evidence.merkle``) whose root is timestamped; each capture keeps its
inclusion proof and the token. ``evidence.verify`` checks all of it on a moved copy or inside a
takedown package; ``evidence.replay`` replays a capture offline from its WARC; ``evidence.testbuys``
records test purchases.

This package imports ``markwatch`` and ``storage``; the CLI (``crawler.cli``) uses it.
"""
