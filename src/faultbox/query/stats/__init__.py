"""Quick stats over the visible projects: summary metrics with trends, top error
types and patterns, error counts over time, affected users (``GET /api/v1/stats``)."""
