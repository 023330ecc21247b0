"""A separate writer process for the concurrency and crash tests (``python -m tests.audit.writer``).

    append URL COUNT START_AT TAG   append COUNT events, starting at the epoch time START_AT
    hold URL                        append one event in a transaction, print its id, never commit
    loop URL                        append events until killed

The signer key comes from ``AUDIT_TEST_SIGNER`` (checkpoints every 100 events).
"""

from __future__ import annotations

import os
import sys
import time

from sqlalchemy.orm import Session

from audit.config import AuditConfig
from audit.db import create_engine
from audit.store import append_event

ORIGIN = "claims.example/audit-test"


def main(argv: list[str]) -> None:
    mode, url = argv[0], argv[1]
    config = AuditConfig(url, ORIGIN, os.environ["AUDIT_TEST_SIGNER"], 100)
    engine = create_engine(url)
    if mode == "append":
        count, start_at, tag = int(argv[2]), float(argv[3]), argv[4]
        time.sleep(max(0.0, start_at - time.time()))
        for i in range(count):
            append_event(
                engine,
                event_type="decision",
                claim_id=f"CLM-{tag}",
                payload={"i": i, "writer": tag},
                actor=f"writer-{tag}",
                config=config,
            )
        print("done", flush=True)
    elif mode == "hold":
        session = Session(engine)
        event = append_event(
            session, event_type="decision", claim_id="CLM-held", payload={"held": 1}, actor="w"
        )
        session.flush()
        print(event.event_id, flush=True)
        time.sleep(120)
    elif mode == "loop":
        i = 0
        while True:
            append_event(
                engine,
                event_type="decision",
                claim_id="CLM-loop",
                payload={"i": i},
                actor="w",
                config=config,
            )
            i += 1
            if i == 20:
                print("running", flush=True)
    else:
        raise SystemExit(f"unknown mode {mode}")


if __name__ == "__main__":
    main(sys.argv[1:])
