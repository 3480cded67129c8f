"""Storage: the schema, its migrations, sessions, ingest, queries and exports. Never imports Scrapy.

Query functions take a ``session`` and never commit; the caller owns the transaction::

    with Session(engine) as s, s.begin():
        ingest_batch(s, brand_id, records)
"""
