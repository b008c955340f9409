"""Metering: the harness's own road to the providers' APIs, and the accounting on it.

Owns the metering proxy (``proxy``: its lifecycle; ``forwarding``: one request's way up
and back), what it must know of each provider's API (``dialects/``), a call's worst case
(``call_bound``), each provider's usage names (``api_usage``: the one mapping to our
``Usage`` fields), one classifier of API failures (``api_failures``), prices and their
data (``pricing``, ``data/prices.json``), the providers' keys, URLs and variables
(``providers``), credentials and the key check, and budget accounting (``budget``,
``metered_api``) over a small ``Account`` protocol. It knows no agent: it may import only
the model and logs.
"""
