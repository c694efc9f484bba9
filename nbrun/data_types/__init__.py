"""Rich values for ``run.log``: each type turns itself into a small JSON reference, plus the
files it needs in the run folder (written once, content-addressed)."""

from nbrun.data_types.histogram import Histogram
from nbrun.data_types.image import Image
from nbrun.data_types.media import Media, MediaFile

__all__ = ["Histogram", "Image", "Media", "MediaFile"]
