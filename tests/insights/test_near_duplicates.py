"""The near-duplicate page groups planted duplicates, tells duplicates from similar images,
finds re-saved and resized copies by their pixels, validates its threshold, and deletes a copy
only after a confirmation that names the kept one."""

import io

import numpy as np
import pytest
from django.core.files.storage import default_storage
from django.urls import reverse
from PIL import Image as PILImage
from PIL import ImageFilter

from labelapp.images.models import Image
from labelapp.insights import duplicates
from labelapp.insights.stored_arrays import CACHE_FOLDER, derived_key
from labelapp.learning.dataset_cache import build_image_cache
from labelapp.learning.embedding import replace_representations
from labelapp.learning.versions import load_representations
from tests.fixtures.cifar import add_image
from tests.insights.builders import make_encoder
from tests.insights.conftest import client_for
from tests.web.people import Team, make_images


@pytest.fixture
def planted(team: Team) -> list[Image]:
    """Twelve random directions from the ImageNet encoder; image 5 copies image 0 exactly,
    image 9 is image 2 plus a little noise, image 11 is image 3 plus more (similarity 0.91)."""
    images = make_images(team.project, 12)
    rng = np.random.default_rng(7)
    representations = rng.normal(size=(12, 64))
    representations[5] = representations[0]
    representations[9] = representations[2] + rng.normal(scale=0.05, size=64)
    representations[11] = representations[3] + rng.normal(scale=0.5, size=64)
    version = make_encoder(team.project, images, representations)
    version.config = {"source": "imagenet"}  # what the Embed job stores for the backbone
    version.save(update_fields=["config"])
    return images


def delete_url(team: Team, image: Image) -> str:
    return reverse(
        "insights-delete-duplicate", kwargs={"project_id": team.project.pk, "image_id": image.pk}
    )


def page(team: Team, threshold: str | None = None):  # type: ignore[no-untyped-def]
    address = reverse("insights-duplicates", kwargs={"project_id": team.project.pk})
    query = {} if threshold is None else {"threshold": threshold}
    return client_for(team.viewer).get(address, query)


def group_ids(response) -> list[list[int]]:  # type: ignore[no-untyped-def]
    return [
        [image.image_id for image in group.images] for group in response.context["report"].groups
    ]


def test_planted_duplicates_form_groups(team: Team, planted: list[Image]) -> None:
    response = page(team)
    assert response.status_code == 200
    assert sorted(group_ids(response)) == sorted(
        [[planted[0].pk, planted[5].pk], [planted[2].pk, planted[9].pk]]
    )
    assert planted[5].original_name in response.text


def test_a_threshold_of_one_keeps_only_exact_copies(team: Team, planted: list[Image]) -> None:
    assert group_ids(page(team, "1")) == [[planted[0].pk, planted[5].pk]]


@pytest.mark.parametrize("threshold", ["abc", "0.2", "1.5", "nan", "inf"])
def test_a_bad_threshold_is_explained(team: Team, planted: list[Image], threshold: str) -> None:
    response = page(team, threshold)
    assert response.status_code == 400
    assert "similarity threshold must be" in response.text
    assert len(group_ids(response)) == 2  # the default threshold's groups are still shown


def test_a_deleted_image_leaves_its_group(team: Team, planted: list[Image]) -> None:
    planted[5].delete()
    response = page(team)
    assert group_ids(response) == [[planted[2].pk, planted[9].pk]]
    assert "1 group among 11 images." in response.text  # counted as they are now


def test_images_added_since_the_search_are_counted_as_not_searched(
    team: Team, planted: list[Image]
) -> None:
    make_images(team.project, 2, start=100)
    response = page(team)
    assert "2 groups among 12 images. 2 newer images are not searched yet" in response.text


def test_a_large_collection_is_searched_by_the_worker_not_the_request(
    team: Team, planted: list[Image], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(duplicates, "MAX_IMAGES", 10)
    response = page(team)
    assert "has not run yet" in response.text and "run Embed" in response.text
    assert group_ids(response) == []

    team.project.refresh_from_db()
    duplicates.store_duplicate_pairs(team.project.current_encoder)  # what the worker does

    assert len(group_ids(page(team))) == 2


def test_new_representations_replace_the_stored_pairs_of_the_old(
    team: Team, planted: list[Image]
) -> None:
    team.project.refresh_from_db()
    version = team.project.current_encoder
    duplicates.store_duplicate_pairs(version)
    image_ids, representations = load_representations(version)
    replace_representations(version, image_ids, representations[::-1].copy())  # an Embed run
    version.refresh_from_db()

    duplicates.store_duplicate_pairs(version)

    stored = default_storage.listdir(f"{CACHE_FOLDER}/{duplicates.PAIRS}")[1]
    assert [name for name in stored if name.startswith(f"encoder-{version.pk}-")] == [
        derived_key(duplicates.PAIRS, version).rsplit("/", 1)[1] + ".npz"
    ]


def test_capped_pairs_say_below_which_similarity_groups_are_incomplete(
    team: Team, planted: list[Image], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(duplicates, "MAX_PAIRS", 1)  # only the exact copy is kept
    low, high = page(team, "0.8"), page(team, "1")
    assert low.context["report"].complete_above > 0.99
    assert "some groups are missing" in low.text
    assert "some groups are missing" not in high.text
    assert group_ids(high) == [[planted[0].pk, planted[5].pk]]


def test_without_representations_the_page_says_what_to_run(team: Team) -> None:
    assert "run Embed" in page(team).text


def test_a_large_group_shows_its_size_and_the_first_images(team: Team) -> None:
    images = make_images(team.project, 60)
    make_encoder(team.project, images, np.ones((60, 8)))  # all the same direction
    group = page(team).context["report"].groups[0]
    assert group.size == 60
    assert len(group.images) == duplicates.MAX_SHOWN_PER_GROUP
    assert group.hidden == 60 - duplicates.MAX_SHOWN_PER_GROUP


def test_similar_images_below_the_duplicate_threshold_have_no_delete_action(
    team: Team, planted: list[Image]
) -> None:
    response = client_for(team.owner).get(
        reverse("insights-duplicates", kwargs={"project_id": team.project.pk}), {"threshold": "0.9"}
    )
    kinds = {tuple(ids): group.duplicates for ids, group in
             zip(group_ids(response), response.context["report"].groups, strict=True)}  # fmt: skip
    assert kinds == {
        (planted[0].pk, planted[5].pk): True,
        (planted[2].pk, planted[9].pk): True,
        (planted[3].pk, planted[11].pk): False,
    }
    assert "Similar (often different photos, now and then a copy): 2 images" in response.text
    assert delete_url(team, planted[11]) not in response.text
    assert f"{delete_url(team, planted[5])}?keep={planted[0].pk}" in response.text


def test_an_uncalibrated_encoder_starts_at_identical_and_offers_no_delete(team: Team) -> None:
    images = make_images(team.project, 3)
    make_encoder(team.project, images, np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]]))
    response = client_for(team.owner).get(
        reverse("insights-duplicates", kwargs={"project_id": team.project.pk})
    )
    report = response.context["report"]
    assert report.threshold == 1.0 and not report.calibrated
    assert [group.duplicates for group in report.groups] == [False]
    assert "cannot tell a copy from a look-alike" in response.text
    assert "Delete…" not in response.text


def test_the_confirmation_says_which_copy_is_kept(team: Team, planted: list[Image]) -> None:
    response = client_for(team.owner).get(
        delete_url(team, planted[5]), {"keep": planted[0].pk, "threshold": "0.97"}
    )
    assert response.status_code == 200
    assert f"Delete {planted[5].original_name}?" in response.text
    assert f"{planted[0].original_name} is kept</strong>" in response.text
    assert Image.objects.filter(pk=planted[5].pk).exists()  # looking deletes nothing


def test_the_owner_deletes_one_copy(team: Team, planted: list[Image]) -> None:
    response = client_for(team.owner).post(
        delete_url(team, planted[5]),
        {"confirm": "delete", "keep": planted[0].pk, "threshold": "0.97"},
    )
    assert response.status_code == 302 and response["Location"].endswith("?threshold=0.97")
    assert not Image.objects.filter(pk=planted[5].pk).exists()
    assert group_ids(page(team)) == [[planted[2].pk, planted[9].pk]]


def test_the_kept_copy_must_still_exist(team: Team, planted: list[Image]) -> None:
    # given the owner deleted image 0 keeping 5, a stale page's "delete 5, keep 0" must fail
    client = client_for(team.owner)
    client.post(delete_url(team, planted[0]), {"confirm": "delete", "keep": planted[5].pk})
    response = client.post(
        delete_url(team, planted[5]), {"confirm": "delete", "keep": planted[0].pk}, follow=True
    )
    assert "no other copy" in response.text
    assert Image.objects.filter(pk=planted[5].pk).exists()


def test_deleting_needs_the_owner_and_a_confirmation(team: Team, planted: list[Image]) -> None:
    address = delete_url(team, planted[5])
    keep = {"keep": planted[0].pk}
    assert client_for(team.labeler).post(address, {"confirm": "delete", **keep}).status_code == 403
    assert client_for(team.labeler).get(address, keep).status_code == 403
    response = client_for(team.owner).post(address, keep, follow=True)
    assert "confirm the deletion" in response.text
    assert Image.objects.filter(pk=planted[5].pk).exists()


def picture(seed: int, size: tuple[int, int] = (400, 533)) -> PILImage.Image:
    """A photo-like picture: smooth random colour fields, different for each seed."""
    rng = np.random.default_rng(seed)
    coarse = rng.integers(0, 256, size=(12, 9, 3), dtype=np.uint8)
    field = PILImage.fromarray(coarse).resize(size, PILImage.Resampling.BICUBIC)
    return field.filter(ImageFilter.GaussianBlur(4))


def jpeg(image: PILImage.Image, quality: int = 90) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality)
    return buffer.getvalue()


def test_copies_saved_again_or_resized_are_duplicates_by_their_pixels(team: Team) -> None:
    # given four distinct photos, photo 0 saved again at JPEG quality 50 (image 4), photo 1
    # resized to 60% (image 5), a photo deleted after it was decoded (image 6), and an encoder
    # with random weights (page at 1.00) whose representations link only image 3 to image 5,
    # stored in another order than the decoded images
    photos = [picture(seed) for seed in range(4)]
    files = [jpeg(photo) for photo in photos]
    files += [jpeg(photos[0], quality=50), jpeg(photos[1].resize((240, 320))), jpeg(picture(9))]
    images = [add_image(team.project, data, f"photo-{n}.jpg") for n, data in enumerate(files)]
    representations = np.eye(7)
    representations[3] = representations[5]
    version = make_encoder(team.project, images[::-1], representations[::-1])
    version.config = {"image_size": 64}
    version.save(update_fields=["config"])
    before = page(team)  # the worker has not compared pixels yet, and the page says so
    assert group_ids(before) == [[images[3].pk, images[5].pk]]
    assert "7 images have not been compared pixel by pixel" in before.text

    build_image_cache(team.project.pk, 64)  # what the Embed job leaves behind
    images[6].delete()
    duplicates.store_duplicate_pairs(version)  # the worker, after the job

    response = client_for(team.owner).get(
        reverse("insights-duplicates", kwargs={"project_id": team.project.pk})
    )
    report = response.context["report"]
    assert report.threshold == 1.0 and not report.calibrated
    assert group_ids(response) == [
        [images[1].pk, images[3].pk, images[5].pk],  # one link is the encoder's: similar
        [images[0].pk, images[4].pk],
    ]
    assert [group.duplicates for group in report.groups] == [False, True]
    assert report.image_count == 6 and report.not_compared == 0
    assert "pixel by pixel" not in response.text
    assert f"{delete_url(team, images[4])}?keep={images[0].pk}" in response.text
    assert delete_url(team, images[5]) not in response.text
