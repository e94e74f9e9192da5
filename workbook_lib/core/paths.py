"""Where the project's folders are (nothing imported: the CLI reads these before it starts a kernel)."""

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
PROJECT_PARAMETERS = PROJECT_ROOT / "parameters"  # the shipped example parameters, the last place inputs are sought
NOTEBOOKS = PROJECT_ROOT / "notebooks"  # every assessment notebook; kernels run here
