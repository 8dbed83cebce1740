"""Fake third-party libraries, served from a fake ``site-packages`` of each release."""
