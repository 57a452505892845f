"""The market against field figures: price elasticity, the Sears chain, Greene et al.,
Reichheld & Sasser, loyalty rewards, net promoter score and the expectation transient.

Each claim is a paired intervention at the focal firm (``sim.probes``) over a few
fixed seeds on the baseline market; tolerances are stated at each assertion.
"""

from __future__ import annotations

import numpy as np
import pytest

from sim import ServiceProfitChainModel, load_scenario, probes

from .conftest import SCENARIOS

SEEDS = (11, 12, 13)
DAYS = 240


@pytest.fixture(scope="module")
def baseline():
    return load_scenario(SCENARIOS / "baseline.toml")


@pytest.fixture(scope="module")
def sears(baseline):
    return probes.sears_chain(baseline, SEEDS, DAYS)


@pytest.mark.slow
def test_own_price_elasticity_is_in_the_documented_band(baseline):
    # Band: -2.6 (Bijmolt, van Heerde & Pieters 2005 mean) to -0.5 (assumed inelastic end
    # for a service firm); the default is set near Tellis 1988's mean (about -1.8).
    # Tolerance of the mean: +-0.3 around the documented -1.6.
    e = probes.price_elasticity(baseline, SEEDS, DAYS)
    assert np.all((e > -2.6) & (e < -0.5)), e
    assert e.mean() == pytest.approx(-1.6, abs=0.3)


@pytest.mark.slow
def test_sears_chain_runs_in_the_reported_proportion(sears):
    # Rucci, Kirn & Quinn 1998: 5 units attitude -> 1.3 units impression (0.26 per unit)
    # -> 0.5 % revenue (0.38 % per unit of impression). Tolerance: a factor of 2 each way
    # on each link and on the whole chain (0.1 % revenue per unit of attitude); the old
    # model gave 5-6 % revenue per unit of impression, 15x too much.
    assert np.all(sears["engagement"] > 5), sears["engagement"]  # the lever works
    link1 = sears["satisfaction"].sum() / sears["engagement"].sum()
    link2 = sears["revenue_pct"].sum() / sears["satisfaction"].sum()
    chain = sears["revenue_pct"].sum() / sears["engagement"].sum()
    assert 0.26 / 2 < link1 < 0.26 * 2, link1
    assert 0.38 / 2 < link2 < 0.38 * 2, link2
    assert 0.1 / 2 < chain < 0.1 * 2.5, chain  # (chain tolerance widened: links compound)


@pytest.mark.slow
def test_higher_quality_holds_share(sears):
    # Greene, Walls & Schrest 1994: direction only, in every seed; satisfaction rises,
    # share does not fall, and the net promoter score rises.
    assert np.all(sears["satisfaction"] > 0)
    assert np.all(sears["share"] >= 0), sears["share"]
    assert np.all(sears["nps"] > 0), sears["nps"]


@pytest.mark.slow
def test_higher_quality_raises_return_on_sales(sears):
    # Greene, Walls & Schrest 1994: direction only, in every seed. (A strict xfail until
    # the market started in its steady state: staffing then drifted down through the
    # window and return on sales fell in some seeds.)
    assert np.all(sears["ros"] > 0), sears["ros"]


@pytest.mark.slow
def test_retention_gain_raises_profit_through_customer_tenure(baseline):
    # Reichheld & Sasser 1990: +5 points of retention -> +25..85 % profit. Tolerance:
    # the mean over seeds within [25/2, 85*1.5]; and the tenure channels (spend, cost to
    # serve, referrals) add to the profit gain beyond volume and operating leverage.
    on = probes.retention_profit(baseline, SEEDS[:2], DAYS)
    off = probes.retention_profit(baseline, SEEDS[:2], DAYS, channels=False)
    assert np.all(on["retention_pts"] > 2), on["retention_pts"]
    assert 12.5 < on["profit_pct_per_5_pts"].mean() < 127.5, on["profit_pct_per_5_pts"]
    assert np.all(on["profit_gain"] > off["profit_gain"]), (on["profit_gain"], off["profit_gain"])


@pytest.mark.slow
def test_bigger_loyalty_reward_brings_more_visits(baseline):
    # The reward is valued like a price cut on the member's spend: 10 % back must draw
    # more visits than 0 % back (non-monetary membership value off), in every seed.
    prog = {
        "firm.policy.loyalty_programme": True,
        "competitors.policy.loyalty_programme": False,
        "firm.policy.loyalty_utility": 0.0,
        "firm.policy.loyalty_matching": 0.0,
        "firm.policy.loyalty_join_probability": 0.3,
    }
    for seed in SEEDS[:2]:
        small = probes.focal_summary(
            baseline, seed, DAYS, {**prog, "firm.policy.loyalty_reward": 0.0}
        )
        big = probes.focal_summary(
            baseline, seed, DAYS, {**prog, "firm.policy.loyalty_reward": 0.1}
        )
        # 10 % of ~35 cu at 0.055 utility/cu is ~0.2 utility for members: a few % visits
        assert big["visits"] > small["visits"] * 1.01, (seed, big["visits"], small["visits"])


def test_nps_counts_promoters_minus_detractors_of_todays_visitors(small_scenario):
    m = ServiceProfitChainModel(small_scenario, seed=5)
    for _ in range(30):
        before = m.customers.visits.copy()
        m.step()
        came = m.customers.visits > before
        firm = m.customers.last_firm[came]
        ltr = m.customers.recommend[came]
        for k in range(small_scenario.market.firms):
            here = ltr[firm == k]
            if here.size:
                expect = 100 * ((here >= 9).mean() - (here <= 6).mean())
                assert m.last_metrics["nps"][k] == pytest.approx(expect)


def test_demand_responds_to_price_level_through_the_outside_option(small_scenario):
    # Raising every firm's price leaves the split among firms alone but loses customers
    # to the outside option: total visits fall (same seeds, 3 pairs, every pair).
    for seed in (1, 2, 3):
        base = ServiceProfitChainModel(small_scenario, seed=seed).run(60)
        dear = small_scenario.with_overrides({"firm.policy.price": 45.0})
        high = ServiceProfitChainModel(dear, seed=seed).run(60)
        # +11 cu is -0.6 utility against the outside option: about 8 % fewer visits
        assert high.visits.sum() < 0.96 * base.visits.sum()
        share = high.groupby("firm").visits.sum() / high.visits.sum()
        assert np.all(np.abs(share - 1 / 3) < 0.05)


def test_the_expectation_prior_washes_out_within_the_warm_up(baseline):
    # Two markets that differ only in the prior expectation (0.35 vs 0.75, same seed):
    # at the end of the default warm-up (day 90) the mean expectations of customers who
    # have visited differ by less than 1/6 of the initial 0.4. With a fixed adaptation
    # weight of 0.15 per visit the prior would still carry 0.85^8 ~ 0.27 of it.
    means = []
    for prior in ([0.3, 0.4], [0.7, 0.8]):
        sc = baseline.with_overrides({"customers.count": 1000, "customers.expectation_init": prior})
        m = ServiceProfitChainModel(sc, seed=3)
        m.run(sc.market.warmup_days)
        seen = m.customers.visits > 0
        assert seen.mean() > 0.99
        means.append(m.customers.expectation[seen].mean())
    assert abs(means[1] - means[0]) < 0.4 / 6, means
