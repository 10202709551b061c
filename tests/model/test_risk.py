"""The risk check fires exactly at margin balance ≤ MM on the mark price (spec §2)."""

import numpy as np
import pytest

from model.ledger import Ledger
from model.margin import TierTable, liquidation_price
from model.risk import assess

TABLE = TierTable.preset("binance-btcusdt")


def market(isolated: bool, n_contracts: int = 1):
    ledger = Ledger([0.001] * n_contracts, [TABLE] * n_contracts)
    trader = ledger.open_account(6_000.0, isolated=isolated, leverage=10)
    other = ledger.open_account(1e7, leverage=10)
    ledger.apply_fill(trader, 0, 1_000, 60_000.0, 0.0)
    ledger.apply_fill(other, 0, -1_000, 60_000.0, 0.0)
    return ledger, trader


@pytest.mark.parametrize("isolated", [True, False])
def test_breach_exactly_at_the_liquidation_price(isolated):
    ledger, trader = market(isolated)
    margin = ledger.iso_margin[trader, 0] if isolated else ledger.wallet[trader]
    lp = liquidation_price(+1, 1.0, 60_000.0, float(margin), TABLE)
    above = assess(ledger, np.array([lp + 0.01]))
    at = assess(ledger, np.array([lp]))
    assert not above.any_breach
    assert at.any_breach
    hits = at.isolated_breaches[:, 0] if isolated else at.cross_breaches
    assert trader in hits
    assert at.margin_ratio[trader] == pytest.approx(1.0, rel=1e-6)
    assert above.margin_ratio[trader] < 1.0


def test_ratio_warning_count_and_exempt_system_accounts():
    ledger, trader = market(False)
    fund = ledger.open_account(0.0, system=True)
    ledger.apply_fill(fund, 0, 1_000, 60_000.0, 0.0)
    ledger.apply_fill(trader, 0, -1_000, 60_000.0, 0.0)  # trader flat; fund holds a long
    snap = assess(ledger, np.array([1_000.0]))
    assert fund not in snap.cross_breaches
    assert snap.margin_ratio[fund] == 0.0


def test_cross_loss_on_one_contract_puts_both_positions_at_risk():
    ledger = Ledger([0.001, 0.001], [TABLE, TABLE])
    trader = ledger.open_account(7_000.0, leverage=20)
    other = ledger.open_account(1e7, leverage=20)
    for c, price, lots in ((0, 60_000.0, 1_000), (1, 3_000.0, 3_000)):
        ledger.apply_fill(trader, c, lots, price, 0.0)
        ledger.apply_fill(other, c, -lots, price, 0.0)
    calm = assess(ledger, np.array([60_000.0, 3_000.0]))
    # only the second contract falls (−6,900 on 3 ETH): the account, and so its BTC long, breaches
    crash = assess(ledger, np.array([60_000.0, 700.0]))
    assert trader not in calm.cross_breaches
    assert trader in crash.cross_breaches
    assert crash.accounts_at_risk >= 1
