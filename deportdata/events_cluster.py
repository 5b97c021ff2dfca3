"""Clustering the mentions of one block into events, with the rules of `events_match`.

Without transitive chaining: mentions are taken most specific first (day, then week, month,
year, unknown; then the number of counts and attributes given; then `mention_id`), and each
joins the best existing cluster whose every member it is compatible with (complete linkage;
on a count the cluster already disputes, agreeing with one of its members is enough), else
starts a new one. So precise mentions form the events first and a vague mention (unknown
date or count) attaches to a single cluster; A on day 1 and C on day 9 stay apart even if an
undated B fits both. The best cluster has the most values equal to the mention's, then the
closest date, then the most sources, then the smallest first `mention_id`. Candidate
clusters come from an index by ISO week, so the work inside a block grows with the number of
events of nearby weeks, not with the block's size.

Given how an earlier run clustered the block (`EarlierClusters`), the same result costs far
less scoring: see `_BlockClustering`.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from deportdata.events_match import Cluster, MentionRecord, match_window


def _weeks(window: tuple[int, int]) -> range:
    return range((window[0] - 1) // 7, (window[1] - 1) // 7 + 1)


@dataclass(frozen=True)
class EarlierClusters:
    """How an earlier run clustered a block: for each mention whose row is unchanged, the founder
    (first mention taken) of the cluster it joined; and the founders of earlier clusters that
    have lost a member since (a mention now gone, changed or in another block)."""

    founder_of: Mapping[str, str]
    changed: frozenset[str] = frozenset()


class _WeekIndex:
    """Cluster positions by the ISO weeks of their founder's window; clusters that can match any
    date are candidates everywhere."""

    def __init__(self) -> None:
        self.by_week: dict[int, list[int]] = defaultdict(list)
        self.anywhere: list[int] = []
        self.all: list[int] = []

    def add(self, index: int, window: tuple[int, int] | None) -> None:
        self.all.append(index)
        if window is None:
            self.anywhere.append(index)
        else:
            for week in _weeks(window):
                self.by_week[week].append(index)

    def near(self, window: tuple[int, int] | None) -> Iterable[int]:
        if window is None:
            return self.all
        found = set(self.anywhere)
        for week in _weeks(window):
            found.update(self.by_week.get(week, ()))
        return found


class _BlockClustering:
    """The clustering of one block. With an `EarlierClusters`, a mention whose earlier decision
    still holds is not scored against every candidate: a cluster whose members so far are the
    same as in the earlier run (a "same" cluster) scores as it did then, so the mention's earlier
    choice among them stands and only the clusters that differ need scoring. Clusters differ
    once a new mention joins them, or a mention joins or leaves them unlike the earlier run."""

    def __init__(self, earlier: EarlierClusters | None) -> None:
        self.clusters: list[Cluster] = []
        self.windows: list[tuple[int, int] | None] = []
        self.position_of: dict[str, int] = {}  # founder id -> position in clusters
        self.index = _WeekIndex()
        self.founder_of = earlier.founder_of if earlier else {}
        self.differ: set[str] = set(earlier.changed) if earlier else set()  # founders of differing clusters
        self.differing = _WeekIndex()

    def _best(self, m: MentionRecord, candidates: Iterable[int], best: tuple | None = None,
              best_index: int = -1) -> int:
        """Position of the best-scoring candidate (or of `best_index`, whose key is `best`), -1 if none fits."""
        for index in candidates:
            key = self.clusters[index].score(m)
            if key is not None and (best is None or key < best):
                best, best_index = key, index
        return best_index

    def _choose(self, m: MentionRecord, window: tuple[int, int] | None, earlier: str | None) -> int:
        """Position of the cluster m joins, -1 for a new one; `earlier` is the founder of the
        cluster it joined in the earlier run."""
        if earlier is None or earlier in self.differ:
            return self._best(m, self.index.near(window))
        rivals = self.differing.near(window)
        if earlier == m.mention_id:  # it started a cluster: no cluster that is the same fitted it
            return self._best(m, rivals)
        position = self.position_of.get(earlier)
        if position is not None and not rivals:
            return position
        key = None if position is None else self.clusters[position].score(m)
        if key is None:  # cannot happen with a cache this code wrote: decide without it
            return self._best(m, self.index.near(window))
        return self._best(m, rivals, key, position)

    def _mark_differing(self, founder: str) -> None:
        if founder not in self.differ:
            self.differ.add(founder)
            position = self.position_of.get(founder)
            if position is not None:
                self.differing.add(position, self.windows[position])

    def add(self, m: MentionRecord) -> None:
        window = match_window(m)
        earlier = self.founder_of.get(m.mention_id)
        position = self._choose(m, window, earlier)
        if position >= 0:
            self.clusters[position].add(m)
            founder = self.clusters[position].first_id
        else:
            position, founder = len(self.clusters), m.mention_id
            self.clusters.append(Cluster(m))
            self.windows.append(window)
            self.position_of[founder] = position
            self.index.add(position, window)
            if founder in self.differ:
                self.differing.add(position, window)
        if earlier != founder:
            self._mark_differing(founder)
            if earlier is not None:
                self._mark_differing(earlier)


def cluster_block(mentions: Iterable[MentionRecord],
                  earlier: EarlierClusters | None = None) -> list[list[MentionRecord]]:
    """Group the mentions of one block into events (see the module docstring). `earlier`, how an
    earlier run clustered the block, only saves work: the result is the same without it."""
    clustering = _BlockClustering(earlier)
    for m in sorted(mentions, key=lambda r: r.specificity):
        clustering.add(m)
    return [c.members for c in clustering.clusters]
