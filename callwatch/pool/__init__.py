"""The association pool: households contribute pseudonymised calls, an association pools them.

An edge of the library, like the command line and the web page: it reads findings from the
store (``contribute``) and never the other way round; nothing upstream imports it.

    keys.py          the association's key, its fingerprint, the household's keyed pseudonym
    schema.py        the contribution's columns (the one Parquet schema), vocabularies, areas
    contribute.py    a household's contribution: what may leave the house, --show, the file
    pool.py          the association's pool: validation, replacement, partitioned Parquet dataset
    analysis.py      the figures, written once as SQL and run on DuckDB or on Spark (SQLGlot)
    report.py        the pool's report: CSV files and a PDF with its method section
"""
