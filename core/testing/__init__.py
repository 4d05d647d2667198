"""The conformance kit: the contract every Stillroom component is held to, as a pytest plugin.

A vendor runs it against their plugin with one command, from their project::

    pytest --stillroom-plugin NAME

``NAME`` is the plugin's entry-point name (or an importable module). The kit
loads the plugin beside the built-ins, finds every component it registers and
runs its family's contracts (``stillroom.testing.contracts``) against it, each
under the egress guard with nothing allowed. Components that need options get
them from a ``pytest_stillroom_options`` hook in the vendor's ``conftest.py``
(``stillroom.testing.plugin``); the fixtures (a throwaway workspace, a
``Context``, real Banking77 records with PII, a tiny real teacher) are there
for the vendor's own tests too. The built-ins pass the same kit, in
``tests/test_conformance.py``.
"""

from stillroom.testing.materials import Materials, sample_records

__all__ = ["Materials", "sample_records"]
