"""Rich values for ``run.log``: each type turns itself into a small JSON reference, plus the
files it needs in the run folder (written once, content-addressed)."""

from nbrun.data_types import plot
from nbrun.data_types.audio import Audio
from nbrun.data_types.figures import Plotly
from nbrun.data_types.histogram import Histogram
from nbrun.data_types.html import Html
from nbrun.data_types.image import Image
from nbrun.data_types.media import Media, MediaFile
from nbrun.data_types.molecule import Molecule
from nbrun.data_types.object3d import Object3D
from nbrun.data_types.table import Table
from nbrun.data_types.video import Video

__all__ = [
    "Audio",
    "Histogram",
    "Html",
    "Image",
    "Media",
    "MediaFile",
    "Molecule",
    "Object3D",
    "Plotly",
    "Table",
    "Video",
    "plot",
]
