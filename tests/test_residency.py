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


# -- residency exceptions: separation of duties across runs ------------------------------


class OutsideSource:
    """A throwaway source that sits outside the boundary: just what the residency check reads."""

    name = "outside"

    def __init__(self, path):
        self.path = path

    def location(self):
        return self.path.as_uri()

    def fingerprint(self):
        return "f" * 64

    identity = fingerprint


def test_nobody_admits_data_into_their_own_run_through_another_persons_request(workspace, tmp_path):
    from types import SimpleNamespace

    from stillroom.approvals import ApprovalRefused, decide, get_request
    from stillroom.pipeline import within_boundary
    from stillroom.users import unlock
    from tests.people import setup_user

    for name, roles in (("alice", ["operator"]), ("bob", ["operator", "security"]), ("lena", ["legal"]),
                        ("sec2", ["security"])):
        setup_user(workspace, name, roles, "correct horse battery", actor="admin")
    path = workspace.policy_dir / "residency.yaml"
    path.write_text(path.read_text().replace('paths: ["/"]', f'paths: ["{workspace.root}"]'))
    from tests.people import adopt_policy

    adopt_policy(workspace)  # an edit counts once adopted
    source = OutsideSource(tmp_path / "outside.jsonl")

    def run_by(initiator):
        run = SimpleNamespace(workspace=workspace, policy=workspace.policy(), initiator=initiator,
                              run_id=f"run-{initiator}",
                              spec=SimpleNamespace(source=SimpleNamespace(classification="public")))
        return within_boundary(run, "source", source)

    def refused_request(initiator):
        with pytest.raises(RunRefused, match=r"Residency request (req-\w+) is open") as refused:
            run_by(initiator)
        return get_request(workspace, refused.value.args[0].split("Residency request ")[1].split()[0])

    def approve(request, name):
        decide(workspace, request.id, unlock(workspace, name, "correct horse battery"), decision="approve")

    alices = refused_request("alice")
    bobs = refused_request("bob")
    assert alices.initiator == "alice" and bobs.id != alices.id and bobs.initiator == "bob"

    approve(alices, "bob")  # bob reviews alice's request, as his security role allows
    approve(alices, "lena")
    assert get_request(workspace, alices.id).status == "approved"
    assert refused_request("bob").id == bobs.id  # ...but it does not admit bob's own run
    with pytest.raises(ApprovalRefused, match="bob initiated"):
        approve(bobs, "bob")

    approve(bobs, "sec2")
    approve(bobs, "lena")
    assert run_by("bob")["exception"] == bobs.id
    assert run_by("alice")["exception"] == alices.id
