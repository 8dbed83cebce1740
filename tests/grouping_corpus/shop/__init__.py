"""The fake shop whose bugs make the grouping corpus.

Loaded by ``tests.grouping_corpus.release`` under the module name ``shop`` from a fake
release directory, so its frames look like a deployed application's.
"""
