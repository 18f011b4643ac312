"""The JSON views stay in step with the records they show."""

from __future__ import annotations

import dataclasses
import typing

from stylelab.gatys.progress import Progress
from stylelab.web.schemas import ProgressOut

NOT_SENT = {"preview"}  # a picture: the worker writes it to a file and sends its version instead


def test_progress_out_has_the_fields_of_the_engines_progress_with_their_types():
    """Workers send ``asdict(Progress)`` less the preview; a field added to Progress would be dropped
    silently by ProgressOut, and one removed would fail every view of a running job."""
    engine = typing.get_type_hints(Progress)
    sent = {field.name: engine[field.name] for field in dataclasses.fields(Progress) if field.name not in NOT_SENT}
    shown = {name: field.annotation for name, field in ProgressOut.model_fields.items()}
    assert shown == sent
