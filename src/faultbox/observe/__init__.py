"""Operations: Prometheus metrics (``metrics.py`` records, ``collectors.py`` reads
at scrape time, ``exposition.py`` serves them) and logging setup (``logs.py``)."""
