"""``python -m simclr_core pretrain | embed | evaluate`` on a tiny archive."""

import numpy as np

from simclr_core.cli import main
from simclr_core.hyperparameters import save_config

from .conftest import with_changes


def test_pretrain_embed_evaluate_on_an_archive(
    image_archive, tmp_path, tiny_pretrain_config, capsys
):
    config_path = tmp_path / "tiny.json"
    save_config(with_changes(tiny_pretrain_config, epochs=1), config_path)
    run = tmp_path / "run"
    assert (
        main(
            [
                "pretrain",
                str(image_archive),
                "--split",
                "train",
                "--output",
                str(run),
                "--config",
                str(config_path),
                "--device",
                "cpu",
            ]
        )
        == 0
    )
    assert (run / "encoder.pt").exists() and (run / "config.json").exists()

    output = tmp_path / "h.npz"
    assert (
        main(
            [
                "embed",
                str(image_archive),
                "--split",
                "test",
                "--checkpoint",
                str(run),
                "--output",
                str(output),
                "--device",
                "cpu",
            ]
        )
        == 0
    )
    saved = np.load(output)
    assert saved["representations"].shape == (4, 8)
    assert sorted(saved["labels"].tolist()) == [0, 0, 1, 1]

    assert (
        main(
            [
                "evaluate",
                str(image_archive),
                "--split",
                "test",
                "--test-split",
                "test",
                "--checkpoint",
                str(run),
                "--device",
                "cpu",
            ]
        )
        == 0
    )
    printed = capsys.readouterr().out
    assert "kNN accuracy" in printed and "linear probe accuracy" in printed
