"""The pytest hooks a vendor implements in ``conftest.py`` to tell the kit how to build their components."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest


@pytest.hookspec(firstresult=True)
def pytest_stillroom_options(component: type, materials: Any) -> Mapping[str, Any] | None:
    """The options to build ``component`` with for a contract test, or ``None`` for another plugin to answer.

    A source writes ``materials.records`` in its format under ``materials.directory`` and
    points its options there; the kit calls this again with changed records to see its
    fingerprint change. Components answered by no hook are built with no options.

    :param component: the component class under test.
    :param materials: a ``stillroom.testing.Materials``.
    """


@pytest.hookspec(firstresult=True)
def pytest_stillroom_egress(component: type) -> Any | None:
    """Where ``component`` may connect during the contracts (a ``stillroom.policy.Egress``), or ``None``: nowhere.

    Only a component whose job is to talk to a service (a teacher behind an endpoint)
    answers, with that service's address; everything else must not reach the network.

    :param component: the component class under test.
    """
