"""Metric history storage: packed chunks with min/max pyramids.

A series (one metric of one run) is stored as blocks of CHUNK entries:

- level 0 holds the raw points, each (step, ts, value) as float64;
- level L >= 1 holds buckets of FANOUT**L consecutive raw points, each
  (min_step, min_ts, min_value, max_step, max_ts, max_value).

Appending touches only the tail block of each level, so writing costs the same
at any size. A chart read of N samples picks the coarsest level that still has
N/2 buckets (at most 8 * N/2 entries, whatever the series length), merges them
into N/2 buckets and returns each bucket's minimum and maximum point: spikes
never vanish. NaN is stored as NaN and never wins a min or a max.
"""

from __future__ import annotations

import math
from array import array
from dataclasses import dataclass

CHUNK = 512  # entries per stored block; a multiple of FANOUT
FANOUT = 8
RAW = 3  # step, ts, value
AGG = 6  # min_step, min_ts, min_value, max_step, max_ts, max_value


def pack(values) -> bytes:
    return array("d", values).tobytes()


def unpack(blob) -> array:
    values = array("d")
    values.frombytes(bytes(blob))
    return values


def level_count(count: int, level: int) -> int:
    """How many entries level `level` holds for `count` raw points."""
    if count <= 0:
        return 0
    size = FANOUT**level
    return (count + size - 1) // size


def top_level(count: int) -> int:
    """The highest aggregate level kept: the first whose single entry covers every point."""
    level = 0
    while FANOUT**level < count:
        level += 1
    return level


def width(level: int) -> int:
    return RAW if level == 0 else AGG


def combine(src, entry_width: int, lo: int, hi: int):
    """The (min point, max point) of entries lo..hi-1 of a flat array, as six floats."""
    if entry_width == RAW:
        values = src[lo * RAW + 2 : hi * RAW : RAW]
        total = sum(values)
        if total == total:  # no NaN (and no inf - inf): min and max run in C
            low = lo + values.index(min(values))
            high = lo + values.index(max(values))
            return (src[low * RAW], src[low * RAW + 1], src[low * RAW + 2], src[high * RAW], src[high * RAW + 1], src[high * RAW + 2])
    else:
        mins = src[lo * AGG + 2 : hi * AGG : AGG]
        maxs = src[lo * AGG + 5 : hi * AGG : AGG]
        if (sum(mins) + sum(maxs)) == (sum(mins) + sum(maxs)):  # no NaN: the same answer, found in C
            low = (lo + mins.index(min(mins))) * AGG
            high = (lo + maxs.index(max(maxs))) * AGG + 3
            return (src[low], src[low + 1], src[low + 2], src[high], src[high + 1], src[high + 2])
    max_offset = 3 if entry_width == AGG else 0
    min_at = max_at = -1
    min_value = max_value = 0.0
    for i in range(lo, hi):
        base = i * entry_width
        value = src[base + 2]
        if value == value and (min_at < 0 or value < min_value):
            min_at, min_value = base, value
        value = src[base + max_offset + 2]
        if value == value and (max_at < 0 or value > max_value):
            max_at, max_value = base + max_offset, value
    if min_at < 0:  # every value NaN: keep the first point, NaN and all
        min_at = lo * entry_width
    if max_at < 0:
        max_at = lo * entry_width + max_offset
    return (src[min_at], src[min_at + 1], src[min_at + 2], src[max_at], src[max_at + 1], src[max_at + 2])


@dataclass
class Block:
    level: int
    seq: int
    data: array  # flat entries

    @property
    def n(self):
        return len(self.data) // width(self.level)


def append(old_count: int, tails: dict[int, array], points: array) -> tuple[int, dict[int, tuple[int, array]]]:
    """Add raw points (flat step, ts, value) to a series of `old_count` points.

    `tails` maps level -> the stored entries of that level's block holding its
    first changed entry (an empty array when none is stored). Returns the new
    count and, per level, (first block seq to rewrite, flat entries from that
    block's start to the level's end).
    """
    added = len(points) // RAW
    new_count = old_count + added
    windows: dict[int, tuple[int, array]] = {}

    first_changed = old_count
    start = (first_changed // CHUNK) * CHUNK
    window = array("d", tails.get(0, array("d"))[: (first_changed - start) * RAW])
    window.extend(points)
    windows[0] = (start, window)

    for level in range(1, top_level(new_count) + 1):
        below_start, below = windows[level - 1]
        below_count = level_count(new_count, level - 1)
        first_changed = old_count // FANOUT**level
        start = (first_changed // CHUNK) * CHUNK
        entries = array("d", tails.get(level, array("d"))[: (first_changed - start) * AGG])
        below_width = width(level - 1)
        for bucket in range(first_changed, level_count(new_count, level)):
            lo = bucket * FANOUT - below_start
            hi = min((bucket + 1) * FANOUT, below_count) - below_start
            entries.extend(combine(below, below_width, lo, hi))
        windows[level] = (start, entries)
    return new_count, windows


def tail_slots(old_count: int) -> list[tuple[int, int]]:
    """(level, seq) of the stored blocks that an append to `old_count` points rewrites."""
    slots = []
    for level in range(0, top_level(old_count) + 1):
        first_changed = old_count // FANOUT**level
        if first_changed % CHUNK or level_count(old_count, level) > first_changed:
            slots.append((level, first_changed // CHUNK))
    return slots


def split_blocks(level: int, start: int, entries: array):
    """Cut a window of entries into (seq, n, flat) blocks of CHUNK entries."""
    entry_width = width(level)
    step = CHUNK * entry_width
    for offset in range(0, len(entries), step):
        part = entries[offset : offset + step]
        yield (start // CHUNK) + offset // step, len(part) // entry_width, part


def choose_level(count: int, buckets: int) -> int:
    """The coarsest level that still has at least `buckets` entries."""
    level = 0
    while level < top_level(count) and level_count(count, level + 1) >= buckets:
        level += 1
    return level


def sample(entries: array, level: int, buckets: int):
    """Merge one level's entries into `buckets` buckets; yield (step, ts, value) min and max points in step order."""
    entry_width = width(level)
    total = len(entries) // entry_width
    size = max(1, math.ceil(total / buckets))
    for lo in range(0, total, size):
        low, high = _split(combine(entries, entry_width, lo, min(lo + size, total)))
        if _same(low, high):
            yield low
        elif (high[0], high[1]) < (low[0], low[1]):
            yield high
            yield low
        else:
            yield low
            yield high


def _split(combined):
    return combined[:3], combined[3:]


def _same(a, b):
    """The same point (NaN equal to NaN): a bucket whose min and max are one point yields it once."""
    return all(x == y or (x != x and y != y) for x, y in zip(a, b))


def raw_points(entries: array):
    for i in range(0, len(entries), RAW):
        yield entries[i], entries[i + 1], entries[i + 2]
