"""Maps a component's declared location to a region and checks it against the boundary.

Pure functions over the residency policy: no I/O, so every rule is tested directly.
"""

from __future__ import annotations

import fnmatch
import ipaddress
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import unquote, urlsplit

from stillroom.errors import RunRefused


def region_of(location: str, residency: Any) -> str | None:
    """The first region whose paths, hosts or CIDRs contain ``location``; None if none does."""
    parts = urlsplit(location)
    if parts.scheme == "file":
        path = PurePosixPath(unquote(parts.path))
        for name, region in residency.regions.items():
            if any(path == PurePosixPath(p) or PurePosixPath(p) in path.parents for p in region.paths):
                return name
        return None
    host = (parts.hostname or "").lower()
    if not host:
        return None
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        address = None
    for name, region in residency.regions.items():
        if address is not None:
            if any(address in ipaddress.ip_network(c, strict=False) for c in region.cidrs):
                return name
        elif any(fnmatch.fnmatch(host, pattern.lower()) for pattern in region.hosts):
            return name
    return None


def check_location(role: str, location: str, classification: str, residency: Any) -> dict[str, str]:
    """Refuse the run when ``location`` is outside the boundary or not allowed for the data's class."""
    region = region_of(location, residency)
    if region is None:
        raise RunRefused(f"the {role} at {location} is in no region the residency policy knows; "
                         "map it to a region in policies/residency.yaml or use an in-boundary one")
    if region not in residency.boundary:
        raise RunRefused(f"the {role} at {location} is in region {region!r}, outside the boundary "
                         f"({', '.join(residency.boundary)})")
    allowed = residency.classifications[classification].allowed_regions
    if region not in allowed:
        raise RunRefused(f"{classification} data may not be used by the {role} in region {region!r} "
                         f"(allowed: {', '.join(allowed)})")
    return {"role": role, "location": location, "region": region}
