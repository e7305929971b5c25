"""Learn edge detectors by STDP on memristive synapses (no labels) and write ``kernel="stdp"``.

Usage::

    python tools/train_stdp_kernels.py                  # writes snnlib/kernels/stdp_edges.npz (~10 s)
    python tools/train_stdp_kernels.py --out /tmp/k.npz --patches 4000

(A maintainer's tool of the repository: it is not part of the installed ``snnlib`` package.)

:func:`snnlib.plasticity.train_stdp` on ON/OFF centre-surround patches of the course photo
(:func:`snnlib.plasticity.on_off_patches`, 7×7, DoG σ 1 / 2 px), 16 LIF neurons with winner-take-all and
homeostatic thresholds, one ``hfox`` memristor per synapse programmed by STDP pulses (the device's
NeuroSim curves and cycle-to-cycle noise). The most orientation-selective field of each of 4
orientation bins, seen through the input's DoG, becomes one channel of the kernel bank
(:func:`snnlib.plasticity.edge_kernels_from_fields`). NumPy only, seeded: the same seed gives the same
file, bit for bit, on one machine.
"""

from __future__ import annotations

import argparse
import io
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run from a checkout without installing
    sys.path.insert(0, str(ROOT))

OUT = ROOT / "snnlib" / "kernels" / "stdp_edges.npz"
SETTINGS = {"photo": "data/MHW.jpg", "max_size": 256, "patch": 7, "patches": 8000, "neurons": 16,
            "device": "hfox", "steps": 20, "bins": 4, "radius": 2, "seed": 0}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=OUT)
    ap.add_argument("--patches", type=int, default=SETTINGS["patches"])
    ap.add_argument("--seed", type=int, default=SETTINGS["seed"])
    args = ap.parse_args(argv)
    from snnlib.data import course_photo
    from snnlib.images import load_image
    from snnlib.plasticity import (
        edge_kernels_from_fields,
        oddness,
        on_off_patches,
        orientation_selectivity,
        receptive_fields,
        train_stdp,
    )

    settings = {**SETTINGS, "patches": args.patches, "seed": args.seed}
    photo = load_image(course_photo(), max_size=settings["max_size"])
    patches = on_off_patches(photo, size=settings["patch"], count=settings["patches"], seed=settings["seed"])
    start = time.perf_counter()
    result = train_stdp(patches, neurons=settings["neurons"], steps=settings["steps"], device=settings["device"],
                        seed=settings["seed"])
    bank, chosen = edge_kernels_from_fields(result.weights, settings["patch"], bins=settings["bins"],
                                            radius=settings["radius"])
    fields = receptive_fields(result.weights, settings["patch"])
    osi, pref = orientation_selectivity(fields)
    meta = {**settings, "chosen_neurons": chosen, "osi": [round(float(v), 4) for v in osi[chosen]],
            "oddness": [round(float(v), 4) for v in oddness(fields)[chosen]],
            "preferred_deg": [round(float(np.degrees(v)), 1) for v in pref[chosen]],
            "dead_neurons": result.dead, "seconds": round(time.perf_counter() - start, 1)}
    buf = io.BytesIO()
    np.savez(buf, kernel=bank.astype(np.float32), meta=np.array(json.dumps(meta)))
    tmp = args.out.with_suffix(".partial")
    tmp.write_bytes(buf.getvalue())
    tmp.replace(args.out)  # all or nothing
    print(f"wrote {args.out.name}: kernels {bank.shape}, neurons {chosen}, OSI {meta['osi']}, "
          f"{meta['seconds']} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
