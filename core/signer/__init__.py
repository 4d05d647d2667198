"""``stillroom signer``: the node key behind a process boundary.

``state``: what the signer remembers of the log and the rules it signs by
(pure). ``server``: the Unix socket, peer credentials and the state
directory. ``client``: the ``NodeSigner`` the ledger uses when a workspace
sets ``[signer] socket``. ``pkcs11``: a node key inside an HSM.
``commands``: ``stillroom signer init|serve``.
"""
