"""The embedding map in a real browser: 2,000 synthetic points drawn by WebGL, hover shows a
thumbnail, and the lasso labels a cluster."""

import os
from pathlib import Path

import numpy as np
import pytest
from django.conf import settings
from django.test import Client

from labelapp.images.models import Image
from labelapp.learning.models import Prediction
from tests.fixtures.browser import chromium_page
from tests.insights.builders import label_images, make_classifier, make_encoder
from tests.web.people import make_images, make_team

pytestmark = [pytest.mark.browser]
POINTS = 2000


def clustered_representations(count: int, classes: int) -> np.ndarray:
    """``classes`` well separated blobs in 16 dimensions."""
    rng = np.random.default_rng(1)
    centres = rng.normal(size=(classes, 16)) * 4
    return centres[np.arange(count) % classes] + rng.normal(size=(count, 16))


@pytest.fixture
def map_page(live_server, tmp_path):  # type: ignore[no-untyped-def]
    # SwiftShader gives headless Chromium WebGL without a GPU; the shared CI machine can be slow
    swiftshader = ("--use-angle=swiftshader", "--enable-unsafe-swiftshader")
    with chromium_page(height=820, timeout_ms=60_000, extra_args=swiftshader) as page:
        yield page


def record_console_error(message, errors: list[str]) -> None:  # type: ignore[no-untyped-def]
    # failed loads are recorded with their URL by record_failed_response
    if message.type == "error" and not message.text.startswith("Failed to load resource"):
        errors.append(message.text)


def record_failed_response(response, errors: list[str]) -> None:  # type: ignore[no-untyped-def]
    if response.status >= 400 and not response.url.endswith("/favicon.ico"):
        errors.append(f"{response.status} {response.url}")


def non_white_pixels(page) -> int:  # type: ignore[no-untyped-def]
    return int(
        page.evaluate("""() => {
        const canvas = document.getElementById('map-canvas');
        const gl = canvas.getContext('webgl');
        const pixels = new Uint8Array(canvas.width * canvas.height * 4);
        gl.readPixels(0, 0, canvas.width, canvas.height, gl.RGBA, gl.UNSIGNED_BYTE, pixels);
        let count = 0;
        for (let i = 0; i < pixels.length; i += 4) {
            if (pixels[i] < 245 || pixels[i + 1] < 245) count++;
        }
        return count;
    }""")
    )


@pytest.mark.django_db(transaction=True)
def test_map_draws_points_hovers_and_lassoes(live_server, map_page, tmp_path: Path) -> None:
    # given a project of 2,000 embedded images in three clusters, some labeled, with predictions
    team = make_team()
    images = make_images(team.project, POINTS)
    make_encoder(team.project, images, clustered_representations(POINTS, 3))
    cat, dog, bird = team.classes
    for offset, label_class in enumerate((cat, dog, bird)):
        label_images(images[offset:60:3], label_class, team.owner)
    labeled = images[:60]
    out_of_fold = np.eye(3)[np.arange(60) % 3] * 0.8 + 0.2 / 3
    out_of_fold[0] = [0.05, 0.9, 0.05]  # a label the model doubts
    version = make_classifier(team.project, images, labeled, list(np.arange(60) % 3), out_of_fold)
    classes = [cat, dog, bird]
    Prediction.objects.bulk_create(
        Prediction(image=image, model_version=version, probabilities={}, confidence=0.9,
                   predicted_class=classes[index % 3], margin=0.8, entropy=0.1)
        for index, image in enumerate(images)
    )  # fmt: skip
    page = map_page
    console_errors: list[str] = []
    page.on("console", lambda message: record_console_error(message, console_errors))
    page.on("response", lambda response: record_failed_response(response, console_errors))
    folder = Path(os.environ.get("LABELAPP_SCREENSHOT_DIR") or tmp_path)

    # when the owner (signed in through a session cookie) opens the map
    client = Client()
    client.force_login(team.owner)
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": live_server.url}]
    )
    page.goto(f"{live_server.url}/projects/{team.project.pk}/insights/map/")
    page.wait_for_selector(f"#map-canvas[data-drawn='{POINTS}']")

    # then WebGL has drawn the points
    page.screenshot(path=str(folder / "map.png"))
    assert non_white_pixels(page) > 2000
    assert "2,000 images" in page.inner_text("#map-status")

    # when the mouse rests on the first image's dot, its thumbnail shows
    box = page.locator("#map-stage").bounding_box()
    x, y = page.evaluate("() => window.labelapp.embeddingMap.screenPositionOf(0)")
    page.mouse.move(box["x"] + x, box["y"] + y)
    page.wait_for_selector("#map-hover:not([hidden])")
    assert f"/images/{images[0].pk}/thumbnail/" in page.get_attribute("#map-hover img", "src")
    page.screenshot(path=str(folder / "map-hover.png"))

    # when the owner lassoes the left half of the map and labels it dog
    page.keyboard.press("l")
    left, top, width, height = box["x"] + 4, box["y"] + 4, box["width"] / 2, box["height"] - 8
    page.mouse.move(left, top)
    page.mouse.down()
    for corner_x, corner_y in (
        (left + width, top),
        (left + width, top + height),
        (left, top + height),
        (left, top),
    ):
        page.mouse.move(corner_x, corner_y, steps=8)
    page.mouse.up()
    selected = int(page.inner_text("#selection-count").replace(",", ""))
    assert 0 < selected < POINTS
    page.screenshot(path=str(folder / "map-lasso.png"))
    dogs_before = Image.objects.filter(current_label=dog).count()
    page.select_option("#selection-class", label="dog")
    page.once("dialog", lambda dialog: dialog.accept())  # some have another label: change them
    page.click("#selection-label")
    page.wait_for_selector("#selection-result:has-text('Labeled')")

    # then the selected images are dogs now, as the page reports
    labeled = int(page.inner_text("#selection-result").split()[1].replace(",", ""))
    assert labeled > 0
    assert Image.objects.filter(current_label=dog).count() == dogs_before + labeled
    page.click("#color-prediction")
    page.screenshot(path=str(folder / "map-after-lasso.png"))

    # and the other insight pages render too, all without a script or CSP error
    for name in ("quality", "label-errors", "duplicates"):
        page.goto(f"{live_server.url}/projects/{team.project.pk}/insights/{name}/")
        page.screenshot(path=str(folder / f"{name}.png"), full_page=True)
    assert console_errors == []
