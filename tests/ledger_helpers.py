"""Small builders shared by the ledger tests."""

from stillroom import signing
from stillroom.ledger.log import Draft, Ledger
from stillroom.store import db

ORIGIN = "stillroom.test/ledger"


def new_ledger(database_url: str, key=None, name: str = "node") -> Ledger:
    engine = db.make_engine(database_url)
    db.migrate(engine)
    return Ledger(engine, name, key or signing.generate_key(), ORIGIN)


def stage_drafts(n: int, run_id: str = "run-1") -> list[Draft]:
    return [
        Draft("stage.end", {"stage": f"stage-{i}", "records": i * 10, "digest": f"sha256:{i:064x}", "fidelity": i / 7},
              "operator", run_id)
        for i in range(n)
    ]
