"""Which widget shows which detail type: the UI's side of the provider registry.

Each built-in provider's detail types (`ProviderSpec.detail_types`) have a view here; a
detail of any other type is shown by `JobFieldsView`, the normalized fields alone. Another
provider adds its views with `register_view`.
"""

from __future__ import annotations

from tui.models import JobDetail
from tui.providers.hdrjpg.details import HdrjpgDetail
from tui.providers.lettrlabs.details import LettrLabsDetail
from tui.providers.metafold.details import MetafoldDetail
from tui.providers.zoo.details import ZooAsyncDetail, ZooConversionDetail
from tui.widgets.detail_common import JobFieldsView
from tui.widgets.detail_hdrjpg import HdrjpgDetailView
from tui.widgets.detail_lettrlabs import LettrLabsDetailView
from tui.widgets.detail_metafold import MetafoldDetailView
from tui.widgets.detail_zoo import ZooAsyncDetailView, ZooConversionDetailView

DetailView = (
    HdrjpgDetailView
    | ZooConversionDetailView
    | ZooAsyncDetailView
    | MetafoldDetailView
    | LettrLabsDetailView
    | JobFieldsView
)
"""The widget that shows one kind of detail (each takes the clock and an id)."""

_VIEWS: dict[type[JobDetail], type[DetailView]] = {
    HdrjpgDetail: HdrjpgDetailView,
    ZooConversionDetail: ZooConversionDetailView,
    ZooAsyncDetail: ZooAsyncDetailView,
    MetafoldDetail: MetafoldDetailView,
    LettrLabsDetail: LettrLabsDetailView,
}
"""Every view takes `(clock, *, id=...)` and offers `update_detail(detail)`."""


def register_view(detail_type: type[JobDetail], view: type[DetailView]) -> None:
    """Show details of `detail_type` with `view`."""
    _VIEWS[detail_type] = view


def view_for(detail_type: type[JobDetail]) -> type[DetailView]:
    """The view of a detail type (`JobFieldsView` for one without a view of its own)."""
    return _VIEWS.get(detail_type, JobFieldsView)


def unregister_view(detail_type: type[JobDetail]) -> None:
    """Show details of `detail_type` with `JobFieldsView` again (tests that add a view)."""
    _VIEWS.pop(detail_type, None)
