"""RMA numbers and ids: the shape clients print and read back over the phone."""

from __future__ import annotations

import re
import uuid
from collections import Counter

from returns_api.core.ids import _RMA_ALPHABET, new_id, new_rma_number

RMA = re.compile(rf"^R-[{_RMA_ALPHABET}]{{8}}$")


def test_rma_numbers_are_eight_unambiguous_characters() -> None:
    numbers = [new_rma_number() for _ in range(2000)]
    assert all(RMA.match(number) for number in numbers), numbers[:5]
    assert not set("ILOU") & set("".join(numbers))


def test_rma_numbers_use_the_whole_alphabet_in_every_position() -> None:
    # 4 000 draws: each of the 32 characters is expected 125 times per position; a position
    # stuck on a subset (a wrong shift or mask) would leave most of them unseen.
    numbers = [new_rma_number()[2:] for _ in range(4000)]
    for position in range(8):
        seen = Counter(number[position] for number in numbers)
        assert set(seen) == set(_RMA_ALPHABET), position
        assert min(seen.values()) > 60, (position, seen.most_common()[-1])


def test_ids_are_version_7_and_ordered_by_creation() -> None:
    ids = [new_id() for _ in range(100)]
    assert all(isinstance(i, uuid.UUID) and i.version == 7 for i in ids)
    assert ids == sorted(ids)
