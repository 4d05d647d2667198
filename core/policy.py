"""Workspace policies: YAML files validated with pydantic, enforced by the core.

Each file in ``<workspace>/policies/`` holds one top-level section
(``residency``, ``egress``, ``release_gates``, ``approvals``, ``plugins``).
A validation error names the file, the field path, what was expected and
what was found. ``Policy.digest`` is recorded with every decision that used it.

Policies are governed: the policy in force is the one the latest ``policy.adopted``
entry of the verified ledger names (the digest of each file), signed by an admin
(by the node key only while the chain has no admin: ``init`` adopts the defaults
so). ``Workspace.policy()`` refuses files that differ from it, naming the changed
file, so an edit takes effect only once an admin adopts it (``stillroom policy
adopt --as ADMIN``). The first adoption also fixes the floor a release bundle's
policy must meet for ``release verify`` (``FLOOR``).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Collection, Mapping
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictInt,
    ValidationError,
    field_validator,
    model_serializer,
    model_validator,
)

from stillroom.artifacts import canonical_json, sha256_bytes
from stillroom.errors import ConfigError, StillroomError
from stillroom.yamlsafe import YamlRefused, load_yaml

SECTIONS = ("residency", "egress", "release_gates", "approvals", "plugins")
Classification = Literal["public", "internal", "confidential", "restricted"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Region(Strict):
    paths: list[str] = []
    hosts: list[str] = []
    cidrs: list[str] = []

    @field_validator("cidrs")
    @classmethod
    def _cidrs(cls, value: list[str]) -> list[str]:
        for cidr in value:
            try:
                ipaddress.ip_network(cidr, strict=False)
            except ValueError:
                raise ValueError(f"expected a CIDR such as 10.0.0.0/8 (not {cidr!r})") from None
        return value


class ClassificationRule(Strict):
    allowed_regions: list[str]
    must_scrub: bool = True


class Residency(Strict):
    boundary: list[str] = Field(min_length=1)
    regions: dict[str, Region]
    classifications: dict[Classification, ClassificationRule]
    required_entities: list[str] = []
    residual_threshold: int = Field(default=0, ge=0)
    # the domain's terms, applied to every scrubber's spans (pii_lists): never replaced, always replaced
    never_pii: list[str] = []
    always_pii: list[str] = []

    @field_validator("never_pii", "always_pii")
    @classmethod
    def _terms(cls, value: list[str]) -> list[str]:
        blank = [i for i, term in enumerate(value) if not term.strip()]
        if blank:
            raise ValueError(f"item {blank[0]} is blank; list the terms themselves, such as 'Apple Pay'")
        return value

    @model_serializer(mode="wrap")
    def _without_empty_lists(self, handler):
        """Empty term lists are left out, so a policy without them keeps the digest it had before they existed
        (requests opened and bundles released under it stay valid)."""
        return {k: v for k, v in handler(self).items() if v or k not in ("never_pii", "always_pii")}

    @model_validator(mode="after")
    def _lists_disjoint(self) -> Residency:
        both = sorted({t.casefold() for t in self.never_pii} & {t.casefold() for t in self.always_pii})
        if both:
            raise ValueError(f"{both[0]!r} is in both never_pii and always_pii; a term is one or the other")
        return self


HOSTNAME = re.compile(r"^(?=.{1,253}\.?$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*\.?$",
                      re.IGNORECASE)


class EgressRule(Strict):
    """One allowed destination: a host name, an IP address or a CIDR network, and optionally one port."""

    host: str
    port: StrictInt | None = Field(default=None, ge=1, le=65535)

    @field_validator("host")
    @classmethod
    def _host(cls, value: str) -> str:
        try:
            ipaddress.ip_network(value, strict=False)
            return value
        except ValueError:
            pass
        if not HOSTNAME.match(value):
            raise ValueError("expected a host name (db.internal), an IP address (10.0.0.5) or a CIDR network "
                             "(10.0.0.0/8)")
        return value


class Egress(Strict):
    allow: list[EgressRule] = []
    subprocess: bool = False


class DeploymentTarget(Strict):
    max_size_mb: float = Field(gt=0)
    max_latency_ms_p95: float = Field(gt=0)


class AddedValue(Strict):
    """``distillation_added_value``: the student must beat its labels-only baseline on the same test items."""

    min_gain: float = Field(ge=-1, le=1, description="student accuracy minus the baseline's, e.g. 0.01 for a point")
    max_p_value: float = Field(gt=0, le=1, description="the paired bootstrap's two-sided p-value at most this")


class SampleAuditRule(Strict):
    """A security reviewer reads ``size`` scrubbed records drawn at random and marks any PII left
    (see ``sample_audit.py``); with ``required``, a release needs such an audit with at most ``max_misses``."""

    required: bool = False
    size: int = Field(default=50, ge=1)
    max_misses: int = Field(default=0, ge=0)


class ReleaseGates(Strict):
    min_retained_quality: float = Field(ge=0, le=1)
    min_fidelity: float = Field(ge=0, le=1)
    max_worst_slice_drop: float = Field(ge=0, le=1)
    min_slice_size: int = Field(default=20, ge=1)
    max_residual_pii: int = Field(default=0, ge=0)
    sample_audit: SampleAuditRule = SampleAuditRule()
    deployment_targets: dict[str, DeploymentTarget] = {}
    distillation_added_value: AddedValue | None = None


class ApprovalRule(Strict):
    required_roles: list[Literal["security", "legal", "operator", "admin"]] = Field(min_length=1)
    distinct_people: bool = True
    initiator_excluded: bool = True
    valid_days: int = Field(gt=0)

    @field_validator("required_roles")
    @classmethod
    def _each_role_once(cls, value: list[str]) -> list[str]:
        twice = sorted({role for role in value if value.count(role) > 1})
        if twice:
            raise ValueError(f"lists {twice[0]} more than once; each required role is one approval, "
                             "so a second person needs a second role")
        return value

    def describe(self) -> str:
        """The rule in one line, as ``release verify`` prints what it accepted."""
        people = "distinct people" if self.distinct_people else "people (one may hold several)"
        who = "initiator excluded" if self.initiator_excluded else "the initiator may approve their own request"
        return f"{' + '.join(self.required_roles)} by {people}, {who}, decisions valid {self.valid_days} days"


class Approvals(Strict):
    release: ApprovalRule
    residency: ApprovalRule


class AllowedPlugin(Strict):
    name: str = Field(min_length=1)
    version: str = ""
    sha256: str | None = Field(default=None, pattern=r"^[0-9a-f]{64}$")
    # The publisher's C2SP verifier key (name+hash+base64): the installed RECORD must carry their signature.
    publisher: str | None = None

    @field_validator("publisher")
    @classmethod
    def _publisher(cls, value: str | None) -> str | None:
        from stillroom.signing import SigningError, parse_verifier_key

        if value is not None:
            try:
                parse_verifier_key(value)
            except SigningError as exc:
                raise ValueError(f"expected a publisher's verifier key (name+hash+base64): {exc}") from None
        return value

    @field_validator("version")
    @classmethod
    def _specifier(cls, value: str) -> str:
        try:
            SpecifierSet(value)
        except InvalidSpecifier:
            raise ValueError("expected a PEP 440 version specifier such as '>=1.0,<2'") from None
        return value


class Plugins(Strict):
    allow: list[AllowedPlugin] = []
    # Refuse to load plugins at all while a refused distribution's .pth file runs at interpreter start.
    strict: bool = False


class Policy(Strict):
    residency: Residency
    egress: Egress
    release_gates: ReleaseGates
    approvals: Approvals
    plugins: Plugins = Plugins()

    @property
    def digest(self) -> str:
        return sha256_bytes(canonical_json(self.model_dump(mode="json")))


def default_policy_files() -> dict[str, str]:
    """The shipped default policy files, by file name."""
    package = resources.files("stillroom.policies")
    return {f.name: f.read_text() for f in package.iterdir() if f.name.endswith(".yaml")}


def load_policy(directory: Path) -> Policy:
    """Read and validate every policy file in ``directory``."""
    sections: dict[str, object] = {}
    origin: dict[str, Path] = {}
    files = sorted(Path(directory).glob("*.yaml"))
    if not files:
        raise ConfigError(f"{directory}: no policy files found; run `stillroom init` to write the defaults")
    for path in files:
        for name, value in _read_yaml(path).items():
            if name not in SECTIONS:
                raise ConfigError(f"{path}: unknown policy section {name!r}; expected one of {', '.join(SECTIONS)}")
            if name in sections:
                raise ConfigError(f"{path}: section {name!r} is also defined in {origin[name]}")
            sections[name] = value
            origin[name] = path
    try:
        return Policy.model_validate(sections)
    except ValidationError as exc:
        raise ConfigError(_describe(exc, origin, directory)) from None


def _read_yaml(path: Path) -> dict:
    try:
        data = load_yaml(path.read_text())
    except YamlRefused as exc:
        where = f" line {exc.line}:" if exc.line else ""
        raise ConfigError(f"{path}:{where} {exc.reason}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping of policy sections, found {type(data).__name__}")
    return data


def _describe(exc: ValidationError, origin: dict[str, Path], directory: Path) -> str:
    error = exc.errors()[0]
    loc = [str(part) for part in error["loc"]]
    path = origin.get(loc[0], Path(directory) / f"{loc[0]}.yaml") if loc else directory
    return f"{path}: {describe_error(error)}"


def describe_error(error: Mapping[str, Any], union_members: Collection[str] = ()) -> str:
    """One sentence for a pydantic error: field path, expected, found.

    pydantic puts in the path the member of a union it tried: ``union_members``
    (the models a union can hold) and its own ``function-after[...]`` or
    ``literal[...]`` tags are left out, as they name no field.
    """
    field = ".".join(str(part) for part in error["loc"] if not (
        isinstance(part, str) and (part in union_members or re.fullmatch(r"(function-\w+|literal)\[.*\]", part)))
    ) or "(top level)"
    if error["type"] == "missing":
        return f"{field} is required but missing"
    if error["type"] == "extra_forbidden":
        return f"{field} is not a known field"
    message = error["msg"].removeprefix("Value error, ")
    message = message[0].lower() + message[1:]
    if error["type"] == "value_error" and isinstance(error.get("input"), Mapping):
        return f"{field}: {message}"  # a rule across a section's fields: the sentence names them, not the section
    return f"{field}: {message}, found {error.get('input')!r}"


# -- governance: the policy in force is the one the ledger adopted ------------------------

ADOPTED = "policy.adopted"
# What ``init`` fixes in the ledger with the first adoption: a release needs at least two distinct
# people, and never the initiator. ``release verify`` fails a bundle whose policy is below it
# unless the verifier accepts that policy's digest explicitly (``--accept-policy``).
FLOOR = {"min_people": 2, "initiator_excluded": True}


class PolicyNotAdopted(StillroomError):
    """Policy files that are not the policy the ledger adopted: edited, added or removed since."""


def policy_files(directory: Path) -> dict[str, str]:
    """file name -> sha256 of every policy file in ``directory``: what an adoption pins."""
    return {path.name: sha256_bytes(path.read_bytes()) for path in sorted(Path(directory).glob("*.yaml"))}


def check_adopted(directory: Path, adoption) -> None:
    """Raise ``PolicyNotAdopted`` naming the first file that differs from the adopted policy (``adoption``:
    the verified chain's latest ``policy.adopted``, or None)."""
    if adoption is None:
        raise PolicyNotAdopted("this workspace's ledger adopted no policy, so none is in force; an admin adopts one "
                               "with `stillroom policy adopt --as ADMIN` (a workspace made before policies were "
                               "adopted needs a fresh `stillroom init`)")
    current = policy_files(directory)
    for name in sorted(set(current) | set(adoption.files)):
        if current.get(name) != adoption.files.get(name):
            change = "was added" if name not in adoption.files else "was removed" if name not in current else "changed"
            raise PolicyNotAdopted(f"{Path(directory) / name} {change} since the policy in force was adopted (ledger "
                                   f"entry {adoption.seq}); an admin adopts it with `stillroom policy adopt --as "
                                   "ADMIN`, or restore the file")


def below_floor(policy: Policy, floor: dict | None = None) -> str | None:
    """Why ``policy``'s release rule is below the floor, or None when it meets it."""
    floor = floor or FLOOR
    rule = policy.approvals.release
    if floor.get("initiator_excluded", True) and not rule.initiator_excluded:
        return "it lets the initiator approve their own release"
    people = len(set(rule.required_roles)) if rule.distinct_people else 1
    if people < int(floor.get("min_people", 2)):
        return f"it needs {people} person where the floor is {floor.get('min_people', 2)} distinct people"
    return None


def adopt_policy(ws, *, admin=None, actor: str) -> dict:
    """Make the workspace's current policy files the policy in force: a ``policy.adopted`` entry signed by
    ``admin`` (an unlocked ``users.Person`` holding admin), or by the node key while the chain has no admin
    (``init``). The first adoption fixes ``FLOOR``. Returns the entry's payload."""
    from stillroom.ledger.log import Draft

    policy = load_policy(ws.policy_dir)
    if admin is not None:
        from stillroom.users import check_admin

        check_admin(ws, admin, only_admins="adopt policies")
    trust = ws.trust()
    payload = {"policy_digest": policy.digest, "files": policy_files(ws.policy_dir)}
    if trust.policy is None:
        payload["floor"] = dict(FLOOR)
    signer = None if admin is None else (admin.key_name, admin.key)
    ws.ledger().govern([Draft(ADOPTED, payload, actor)], signed_by=signer)
    return payload
