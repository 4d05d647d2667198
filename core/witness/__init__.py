"""A C2SP witness (c2sp.org/tlog-witness): a separate key, process and state that cosigns a log's checkpoints.

``cosignature``: the cosignature/v1 format (pure). ``state``: the witness's
own directory and the rule it enforces (a checkpoint is cosigned only if it
is consistent with the last one it cosigned). ``server``: the add-checkpoint
endpoint on 127.0.0.1. ``client``: how a Stillroom ledger asks for a
cosignature. ``commands``: ``stillroom witness init|serve``.
"""
