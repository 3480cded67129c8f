"""markwatch's vocabulary: the words every part of the project uses, importing nothing of the project.

- :mod:`markwatch.brand`: the brand model loaded from ``configs/brands/*.yaml``;
- :mod:`markwatch.listing`: the listing item spiders yield and ``markwatch ingest`` reads;
- :mod:`markwatch.scored`: a listing with its score, as the storage service takes it;
- :mod:`markwatch.platforms`: the platform registry (names, own hosts, cookie domains);
- :mod:`markwatch.errors`: the typed errors the CLI turns into one-line messages.

Crawler, spiders, matchers, storage, sandbox and the console import from here; this package imports
none of them (an import-linter contract in CI keeps it so).
"""

__version__ = "0.1.0"
