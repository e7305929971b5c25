"""What `python -m snnlib edges` tells the user on stderr besides errors: frames it ignores."""

import numpy as np
from PIL import Image

from snnlib.cli import main


def test_animated_gif_note(tmp_path, capsys):
    frames = [Image.fromarray((np.indices((12, 16)).sum(axis=0) % 4 < 2).astype(np.uint8) * v) for v in (255, 9)]
    path = tmp_path / "anim.gif"
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=50)
    assert main(["edges", str(path), "--out", str(tmp_path / "o"), "--steps", "2"]) == 0
    err = capsys.readouterr().err
    assert "anim.gif has 2 frames (an animation or a multipage file): using the first one only" in err
    assert np.asarray(Image.open(tmp_path / "o" / "anim_original.png")).max() == 255  # frame 0, not frame 1
