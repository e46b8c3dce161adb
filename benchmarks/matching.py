"""How fast is the matching engine on a whole street, and how much does the optimum beat greedy?

Generates, with a fixed seed, one street of N needs and M resources (default M = N // 4) over
~10 communities with 4 grids each, 14 categories (4 top-level, 10 below them), random
preferred/available time slots, locations, capacities 1-5, ratings and completions, and a
few previously rejected pairs. Runs `resources.matching.run_matching` on it and prints one row
per size: candidate edges, the seconds spent generating candidates, solving the min-cost flow
and running the greedy baseline (total s adds the explanations), both totals, their ratio and
how many needs each matched. Pure Python: no Django, no database. Not a test: it asserts
nothing. Compare `--no-spread` to see how many needs plain per-need top-k leaves unmatched.

    python benchmarks/matching.py                          # 1 000, 10 000 and 50 000 needs
    python benchmarks/matching.py --needs 50000 --resources 20000 --max-candidates 10
    python benchmarks/matching.py --no-spread              # plain per-need top-k candidates
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from resources.matching import NeedInput, ResourceInput, Weights, run_matching  # noqa: E402

SLOTS = (
    "weekday_morning",
    "weekday_afternoon",
    "weekday_evening",
    "weekend_morning",
    "weekend_afternoon",
    "weekend_evening",
)
PARENTS = (1, 2, 3, 4)
CHILDREN = {child: PARENTS[(child - 5) % len(PARENTS)] for child in range(5, 15)}
STREET_CENTRE = (31.2304, 121.4737)


def _jitter(rng: random.Random, point: tuple[float, float], spread: float) -> tuple[float, float]:
    return (point[0] + rng.uniform(-spread, spread), point[1] + rng.uniform(-spread, spread))


def generate(
    n_needs: int, n_resources: int, *, communities: int, seed: int
) -> tuple[list[NeedInput], list[ResourceInput], frozenset[tuple[int, int]]]:
    """A street's needs, resources and rejected pairs, the same for the same arguments."""
    rng = random.Random(seed)
    centres = {c: _jitter(rng, STREET_CENTRE, 0.015) for c in range(1, communities + 1)}
    grids = {c: [_jitter(rng, centre, 0.003) for _ in range(4)] for c, centre in centres.items()}
    # Some communities are busier than others.
    community_weights = [rng.uniform(0.5, 2.0) for _ in centres]
    community_ids = list(centres)

    needs = []
    for i in range(1, n_needs + 1):
        community = rng.choices(community_ids, community_weights)[0]
        if rng.random() < 0.85:
            category = rng.choice(list(CHILDREN))
            parent = CHILDREN[category]
        else:
            category, parent = rng.choice(PARENTS), None
        roll = rng.random()
        location = (
            rng.choice(grids[community])
            if roll < 0.85
            else centres[community]
            if roll < 0.95
            else None
        )
        slots = (
            frozenset(rng.sample(SLOTS, rng.randint(1, 2))) if rng.random() < 0.5 else frozenset()
        )
        needs.append(
            NeedInput(
                id=i,
                community_id=community,
                category_id=category,
                category_parent_id=parent,
                urgency=rng.choices((1, 2, 3, 4), (4, 3, 2, 1))[0],
                waiting_hours=rng.uniform(0, 240),
                special_group=rng.random() < 0.3,
                slots=slots,
                location=location,
            )
        )

    resources = []
    for j in range(1, n_resources + 1):
        community = (
            None if rng.random() < 0.12 else rng.choices(community_ids, community_weights)[0]
        )
        categories = set(rng.sample(list(CHILDREN), rng.randint(1, 3)))
        if rng.random() < 0.2:
            categories.add(rng.choice(PARENTS))
        centre = STREET_CENTRE if community is None else centres[community]
        rated = rng.randint(1, 30) if rng.random() < 0.6 else 0
        resources.append(
            ResourceInput(
                id=j,
                community_id=community,
                category_ids=frozenset(categories),
                capacity=rng.randint(1, 5),
                slots=(
                    frozenset(rng.sample(SLOTS, rng.randint(2, 4)))
                    if rng.random() < 0.7
                    else frozenset()
                ),
                location=_jitter(rng, centre, 0.004) if rng.random() < 0.85 else None,
                completions=int(rng.expovariate(1 / 6)),
                rating_sum=round(rated * rng.uniform(3.0, 5.0)),
                rating_count=rated,
            )
        )

    excluded = frozenset(
        (need.id, rng.randint(1, n_resources))
        for need in rng.sample(needs, k=len(needs) // 100)
        for _ in range(rng.randint(1, 2))
    )
    return needs, resources, excluded


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--needs", type=int, nargs="+", default=[1_000, 10_000, 50_000])
    parser.add_argument("--resources", type=int, default=None, help="default: needs // 4")
    parser.add_argument("--communities", type=int, default=10)
    parser.add_argument("--max-candidates", type=int, default=20)
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument(
        "--no-spread",
        action="store_true",
        help="plain top-k candidates: every need gets its best max-candidates resources",
    )
    args = parser.parse_args()

    header = (
        f"{'N':>7}{'M':>7}{'candidates':>12}{'cand s':>8}{'optimal s':>10}{'greedy s':>9}"
        f"{'total s':>9}{'optimal':>10}{'greedy':>10}{'ratio':>7}{'matched opt/greedy':>20}"
    )
    print(header)
    for n in args.needs:
        m = args.resources if args.resources is not None else n // 4
        needs, resources, excluded = generate(n, m, communities=args.communities, seed=args.seed)
        started = time.perf_counter()
        result = run_matching(
            needs,
            resources,
            weights=Weights(),
            max_candidates=args.max_candidates,
            excluded=excluded,
            spread=not args.no_spread,
        )
        wall = time.perf_counter() - started
        ratio = result.optimal_total / result.greedy_total if result.greedy_total else float("nan")
        matched = f"{len(result.proposals)}/{len(result.greedy_proposals)}"
        print(
            f"{n:>7}{m:>7}{result.candidate_count:>12}{result.seconds_candidates:>8.2f}"
            f"{result.seconds_optimal:>10.2f}{result.seconds_greedy:>9.2f}{wall:>9.2f}"
            f"{result.optimal_total:>10}{result.greedy_total:>10}{ratio:>7.4f}{matched:>20}"
        )


if __name__ == "__main__":
    main()
