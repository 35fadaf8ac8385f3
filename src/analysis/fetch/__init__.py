"""``analysis fetch``: the sources' APIs into immutable snapshots (:mod:`analysis.fetch.snapshots`)."""
