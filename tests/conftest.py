import os

import numpy as np
import pytest
from PIL import Image

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")


@pytest.fixture
def photo(tmp_path):
    """A small striped PNG (12×16 px) for the command-line tests, at ``tmp_path/ok.png``."""
    path = tmp_path / "ok.png"
    Image.fromarray((np.indices((12, 16)).sum(axis=0) % 4 < 2).astype(np.uint8) * 255).save(path)
    return path
