"""Locations map to regions; anything outside the boundary or the data's allowed regions is refused."""

from __future__ import annotations

import pytest

from stillroom.errors import RunRefused
from stillroom.policy import load_policy
from stillroom.residency import check_location, region_of


@pytest.fixture
def residency(workspace):
    policy = load_policy(workspace.policy_dir)
    policy.residency.regions["eu-cloud"] = policy.residency.regions["on-prem"].model_copy(
        update={"paths": ["/mnt/cloud"], "hosts": ["*.eu.example"], "cidrs": ["203.0.113.0/24"]})
    policy.residency.regions["on-prem"].paths = ["/srv", "/tmp"]
    return policy.residency


@pytest.mark.parametrize(("location", "region"), [
    ("file:///srv/data/a.jsonl", "on-prem"),
    ("file:///srv", "on-prem"),
    ("file:///srvx/a", None),
    ("file:///mnt/cloud/bucket/a", "eu-cloud"),
    ("http://127.0.0.1:8000/v1", "on-prem"),
    ("http://[::1]:8000", "on-prem"),
    ("http://teacher.internal:8000", "on-prem"),
    ("https://api.eu.example/v1", "eu-cloud"),
    ("http://203.0.113.9", "eu-cloud"),
    ("https://api.openai.com/v1", None),
])
def test_region_of(residency, location, region):
    assert region_of(location, residency) == region


def test_inside_the_boundary_passes(residency):
    assert check_location("source", "file:///srv/a.jsonl", "restricted", residency)["region"] == "on-prem"


def test_outside_the_boundary_is_refused(residency):
    with pytest.raises(RunRefused, match="region 'eu-cloud', outside the boundary"):
        check_location("teacher", "https://api.eu.example/v1", "internal", residency)


def test_unknown_location_is_refused(residency):
    with pytest.raises(RunRefused, match="in no region the residency policy knows"):
        check_location("teacher", "https://api.openai.com/v1", "public", residency)


def test_classification_limits_regions_inside_the_boundary(residency):
    residency.boundary.append("eu-cloud")
    assert check_location("source", "file:///mnt/cloud/a", "public", residency.model_copy(update={
        "classifications": {**residency.classifications, "public": residency.classifications["public"].model_copy(
            update={"allowed_regions": ["on-prem", "eu-cloud"]})}}))["region"] == "eu-cloud"
    with pytest.raises(RunRefused, match="restricted data may not be used by the source in region 'eu-cloud'"):
        check_location("source", "file:///mnt/cloud/a", "restricted", residency)
