"""markwatch's Scrapy project package: settings, items, pipelines, middlewares and the CLI.

Importing this package (or :mod:`markwatch.brand`, :mod:`markwatch.listing`) does not import Scrapy, so the
matchers and storage can use the brand model without pulling the crawler in.
"""

__version__ = "0.1.0"
