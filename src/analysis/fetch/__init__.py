"""Fetching from the providers' APIs into immutable snapshots (``analysis fetch``).

- :mod:`~analysis.fetch.credentials`: where the credentials come from, kept out of every output;
- :mod:`~analysis.fetch.client`: the HTTP client (timeouts, retries, backoff, pacing) and the paging loop;
- :mod:`~analysis.fetch.acled`, :mod:`~analysis.fetch.ucdp`: each provider's protocol;
- :mod:`~analysis.fetch.snapshots`: the snapshot store the pages go into.

Nothing is imported here: the build reads snapshots through :mod:`~analysis.fetch.snapshots` and must not
pay for the HTTP client's imports.
"""
