"""The plain config object of the claim's life (the API fills it from its ``Settings``)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from pydantic import BaseModel, ConfigDict

from engine.money import Money

__all__ = ["LifecycleConfig"]


class LifecycleConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    #: An override paying more than the rules' payable by more than this waits for a second
    #: person (0.00: any amount above the rules does).
    approval_threshold: Money = Decimal("0.00")
    #: How far after the instant it is recorded an event, a document or a payment may be
    #: dated (clocks of the sender and the service differ a little).
    clock_skew: dt.timedelta = dt.timedelta(minutes=5)
