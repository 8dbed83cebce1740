"""Alerting: rules (conditions over the store), noise control and routing.

``evaluate.evaluate_rules(conn, now)`` measures every enabled rule's condition
(``alerts/conditions/``, one module per kind), fires once per crossing, applies the
throttle, quiet windows and issue suppression, and records each firing
(``store.alert_rules``); ``routing.route`` says where a firing goes. Delivery (the
outbox and the channels) builds on the recorded firings.
"""
