"""Views show the aggregate's fields by name: every field of a view is either the return's
field of that name or one the view shapes, so none is silently left at its default."""

from __future__ import annotations

from dataclasses import fields

from returns_api.returns import views
from returns_api.returns.domain import Return
from returns_api.returns.parts import ReturnSummary
from returns_api.returns.schemas import ReturnOut
from returns_api.returns.schemas import ReturnSummary as ReturnSummaryOut


def test_every_field_of_a_return_view_is_held_by_the_return_or_shaped() -> None:
    for view, held in ((ReturnOut, Return), (ReturnSummaryOut, ReturnSummary)):
        names = {f.name for f in fields(held)}
        unsourced = set(view.model_fields) - names - views._SHAPED
        assert not unsourced, f"{view.__name__} shows {unsourced}, which nothing fills in"
