"""The README's demo: a small training loop logged by nbrun, then read back.

Runs offline (no server needed yet) and writes its run under ./nbrun-runs/.
"""

from __future__ import annotations

import math
import random
from pathlib import Path

import nbrun

ROOT = Path(__file__).resolve().parent.parent / "nbrun-runs"


def train(run: nbrun.Run, epochs: int, steps_per_epoch: int) -> None:
    """A stand-in for a training loop: noisy, decreasing loss and rising accuracy."""
    rng = random.Random(0)
    run.define_metric("epoch")
    run.define_metric("val/*", step_metric="epoch")
    run.define_metric("val/acc", summary="max")
    run.define_metric("train/loss", summary="min,last")
    step = 0
    for epoch in range(epochs):
        for _ in range(steps_per_epoch):
            progress = step / (epochs * steps_per_epoch)
            loss = 2.0 * math.exp(-3 * progress) * (1 + rng.gauss(0, 0.05))
            run.log({"train/loss": loss, "train/lr": run.config.lr * (1 - progress)})
            step += 1
        run.log({"epoch": epoch, "val/acc": 0.5 + 0.45 * (1 - math.exp(-epoch / 3))})
        print(f"epoch {epoch}: loss {loss:.3f}")


def main() -> None:
    config = {"lr": 0.01, "batch_size": 64, "optimizer": "adam"}
    with nbrun.init(project="demo", dir=str(ROOT), mode="offline", config=config) as run:
        train(run, epochs=10, steps_per_epoch=200)
        checkpoint = Path(run.dir).parent / "model.txt"
        checkpoint.write_text("weights would go here\n")
        run.save(str(checkpoint), policy="now")

    read = nbrun.Api(dirs=[ROOT]).run(run.path)
    history = read.history()
    print()
    print(f"run {read.name} ({read.path}) is {read.state}; files in {read.dir}")
    print(f"history: {len(history)} rows, columns {sorted(history.columns)}")
    print(
        f"best val/acc {read.summary['val/acc']['max']:.3f}, "
        f"min train/loss {read.summary['train/loss']['min']:.3f}"
    )
    print()
    print("Read it back yourself:")
    print("    import nbrun")
    print(f"    run = nbrun.Api(dirs=[{str(ROOT)!r}]).run({read.path!r})")
    print("    run.history()        # pandas DataFrame, one row per step")
    print("    run.summary, run.config")


if __name__ == "__main__":
    main()
