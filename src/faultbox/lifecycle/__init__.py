"""An issue's life after grouping: status workflow, severity, taxonomy, regressions.

Pure rules live in small modules here (``status``, ...); the services that apply
them write through ``store`` and record every change in the activity log.
"""
