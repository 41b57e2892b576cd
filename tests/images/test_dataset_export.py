"""Split data sets for training code: Hugging Face imagefolder (loaded with the real
``datasets`` library) and YOLO classification folders, stratified and seeded."""

import hashlib
import io
import json
import zipfile
from pathlib import Path

import datasets
import pytest
from django.test import Client
from django.urls import reverse

from labelapp.images.dataset_export import (
    SplitSettings,
    huggingface_zip_chunks,
    split_counts,
    split_images,
    yolo_zip_chunks,
)
from labelapp.images.models import Image, Label, LabelSource
from tests.fixtures.cifar import add_image
from tests.images.conftest import picture_bytes


@pytest.fixture
def labeled(project, classes) -> dict[str, list[Image]]:
    """20 cats, 10 dogs and 2 unlabeled pictures, each a distinct colour."""
    made: dict[str, list[Image]] = {"cat": [], "dog": [], "": []}
    for index, name in enumerate(["cat"] * 20 + ["dog"] * 10 + [""] * 2):
        image = add_image(project, picture_bytes((index * 7, 100, 50)), f"{name or 'x'}{index}.png")
        if name:
            Image.objects.filter(pk=image.pk).update(current_label=classes[name])
        made[name].append(image)
    return made


def unzip(chunks, folder: Path) -> Path:
    with zipfile.ZipFile(io.BytesIO(b"".join(chunks))) as archive:
        assert archive.testzip() is None
        archive.extractall(folder)
    return folder


def test_each_class_is_split_by_the_fractions(project, labeled) -> None:
    splits = split_images(project, SplitSettings(seed=0))

    counted = {
        split: sorted(image.current_label.name for image in images)
        for split, images in splits.items()
    }
    assert counted == {"train": ["cat"] * 16 + ["dog"] * 8, "validation": ["cat"] * 2 + ["dog"],
                       "test": ["cat"] * 2 + ["dog"]}  # fmt: skip


def test_the_same_seed_gives_the_same_split_and_another_seed_another(project, labeled) -> None:
    def test_ids(seed: int) -> list[int]:
        return [image.pk for image in split_images(project, SplitSettings(seed=seed))["test"]]

    assert test_ids(0) == test_ids(0)
    assert test_ids(0) != test_ids(1)


@pytest.mark.parametrize(
    ("count", "expected"), [(1, (1, 0, 0)), (2, (1, 1, 0)), (5, (3, 1, 1)), (3, (1, 1, 1))]
)
def test_small_classes_train_first(count: int, expected: tuple[int, int, int]) -> None:
    counts = split_counts(count, SplitSettings(validation_fraction=0.25, test_fraction=0.25))

    assert (counts["train"], counts["validation"], counts["test"]) == expected


def test_fractions_that_leave_nothing_to_train_on_are_refused() -> None:
    with pytest.raises(ValueError, match="less than 1"):
        SplitSettings(validation_fraction=0.5, test_fraction=0.5)


def test_huggingface_export_loads_with_the_datasets_library(project, labeled, tmp_path) -> None:
    folder = unzip(huggingface_zip_chunks(project, SplitSettings(seed=3)), tmp_path / "hf")

    loaded = datasets.load_dataset(
        "imagefolder", data_dir=str(folder), cache_dir=str(tmp_path / "cache")
    )

    assert {name: len(split) for name, split in loaded.items()} == {
        "train": 24, "validation": 3, "test": 3,
    }  # fmt: skip
    row = loaded["train"][0]
    image = Image.objects.get(pk=row["image_id"])
    assert row["label"] == image.current_label.name
    assert row["content_hash"] == image.content_hash
    assert row["image"].size == (40, 30)
    expected_test = {i.pk for i in split_images(project, SplitSettings(seed=3))["test"]}
    assert set(loaded["test"]["image_id"]) == expected_test


def test_huggingface_metadata_names_files_beside_it(project, labeled, tmp_path) -> None:
    folder = unzip(huggingface_zip_chunks(project, SplitSettings()), tmp_path / "hf")

    for split in ("train", "validation", "test"):
        rows = [json.loads(line) for line in (folder / split / "metadata.jsonl").open()]
        assert rows and all((folder / split / row["file_name"]).is_file() for row in rows)
        assert all(row["file_name"].startswith(row["label"] + "/") for row in rows)


def test_the_readme_says_how_the_split_is_made_and_who_gave_the_labels(
    project, labeled, classes, owner, tmp_path
) -> None:
    # given a cat whose label is an accepted prediction
    accepted = labeled["cat"][0]
    Label.objects.create(
        image=accepted, label_class=classes["cat"], user=owner, source=LabelSource.PREDICTION
    )

    folder = unzip(huggingface_zip_chunks(project, SplitSettings(seed=3)), tmp_path / "hf")

    # then the README's order reproduces the split: the last 2 cats of it are the test cats
    readme = (folder / "README.md").read_text()
    assert '(images ordered by the SHA-256 of "3:<content hash>")' in readme
    ordered = sorted(
        labeled["cat"],
        key=lambda image: hashlib.sha256(f"3:{image.content_hash}".encode()).digest(),
    )
    rows = [json.loads(line) for line in (folder / "test" / "metadata.jsonl").open()]
    assert {row["image_id"] for row in rows if row["label"] == "cat"} == {
        image.pk for image in ordered[18:]
    }
    # and it counts, as metadata.jsonl says, the labels nobody checked
    lines = {line.split(":")[0][2:]: line for line in readme.splitlines() if line[:2] == "- "}
    assert {name: line.endswith(" 1 accepted predictions") for name, line in lines.items()} == {
        name: accepted in split_images(project, SplitSettings(seed=3))[name] for name in lines
    }
    sources = {
        row["image_id"]: row["label_source"]
        for name in ("train", "validation", "test")
        for row in map(json.loads, (folder / name / "metadata.jsonl").open())
    }
    assert sources[accepted.pk] == "prediction"
    assert set(sources.values()) == {"prediction", "person"}


def test_yolo_export_has_every_class_folder_in_every_split(project, labeled, tmp_path) -> None:
    folder = unzip(yolo_zip_chunks(project, SplitSettings()), tmp_path / "yolo")

    counts = {
        (split, name): len(list((folder / split / name).iterdir()))
        for split in ("train", "val", "test")
        for name in ("cat", "dog")
    }
    assert counts == {("train", "cat"): 16, ("train", "dog"): 8, ("val", "cat"): 2,
                      ("val", "dog"): 1, ("test", "cat"): 2, ("test", "dog"): 1}  # fmt: skip


def test_viewer_downloads_a_split_through_the_api(client: Client, viewer, project, labeled):
    client.force_login(viewer)

    response = client.get(
        f"/api/projects/{project.pk}/export/dataset?layout=yolo&seed=7&test_fraction=0.2"
    )

    assert response.status_code == 200
    assert (
        response["Content-Disposition"]
        == f'attachment; filename="pets-{project.pk}-yolo-seed7.zip"'
    )
    with zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content))) as archive:
        assert sum(name.startswith("test/") and not name.endswith("/")
                   for name in archive.namelist()) == 6  # fmt: skip


def test_fractions_adding_up_to_one_get_a_reason(client: Client, viewer, project):
    client.force_login(viewer)

    response = client.get(
        f"/api/projects/{project.pk}/export/dataset?validation_fraction=0.6&test_fraction=0.4"
    )

    assert response.status_code == 422
    assert "left to train on" in response.json()["detail"]


def test_the_page_link_refuses_a_seed_that_is_not_a_number(client: Client, viewer, project):
    client.force_login(viewer)

    response = client.get(reverse("project-export-huggingface", args=[project.pk]) + "?seed=x")

    assert response.status_code == 400


def test_stranger_cannot_download_a_split(client: Client, stranger, project):
    client.force_login(stranger)

    for name in ("project-export-huggingface", "project-export-yolo"):
        assert client.get(reverse(name, args=[project.pk])).status_code == 404
    assert client.get(f"/api/projects/{project.pk}/export/dataset").status_code == 404
