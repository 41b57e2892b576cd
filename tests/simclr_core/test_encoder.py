"""Base encoder f and projection head g."""

import pytest
import torch
import torchvision

from simclr_core.ssl.encoder import EncoderConfig, build_encoder
from simclr_core.ssl.head import ProjectionHead

from .conftest import TINY_ENCODER


def test_small_resnet_gives_representation_of_last_stage_width(uint8_images):
    encoder = build_encoder(TINY_ENCODER)
    assert encoder(uint8_images).shape == (16, 8)
    assert encoder.output_dim == 8


@pytest.mark.parametrize(("architecture", "dim"), [("resnet18", 512), ("resnet50", 2048)])
def test_torchvision_resnets_have_small_image_stem(architecture, dim):
    encoder = build_encoder(EncoderConfig(architecture=architecture)).eval()
    stem = encoder.backbone.conv1
    assert stem.kernel_size == (3, 3) and stem.stride == (1, 1)
    assert isinstance(encoder.backbone.maxpool, torch.nn.Identity)
    with torch.inference_mode():
        assert encoder(torch.rand(2, 3, 8, 8)).shape == (2, dim)


def test_imagenet_stem_is_kept_when_asked():
    encoder = build_encoder(EncoderConfig(architecture="resnet18", small_image_stem=False))
    assert encoder.backbone.conv1.kernel_size == (7, 7)


def test_uint8_and_unit_float_inputs_give_same_h(uint8_images):
    encoder = build_encoder(TINY_ENCODER).eval()
    with torch.inference_mode():
        torch.testing.assert_close(encoder(uint8_images), encoder(uint8_images.float() / 255))


def test_loads_encoder_checkpoint(tmp_path, uint8_images):
    torch.manual_seed(0)
    original = build_encoder(TINY_ENCODER).eval()
    torch.save(original.state_dict(), tmp_path / "encoder.pt")
    loaded = build_encoder(TINY_ENCODER, tmp_path / "encoder.pt").eval()
    with torch.inference_mode():
        torch.testing.assert_close(loaded(uint8_images), original(uint8_images))


def test_loads_plain_torchvision_resnet_checkpoint(tmp_path):
    resnet = torchvision.models.resnet18(weights=None, num_classes=10)
    torch.save(resnet.state_dict(), tmp_path / "resnet18.pt")
    config = EncoderConfig(architecture="resnet18", small_image_stem=False)
    encoder = build_encoder(config, tmp_path / "resnet18.pt")
    torch.testing.assert_close(
        encoder.backbone.layer1[0].conv1.weight, resnet.layer1[0].conv1.weight
    )


def test_mismatched_stage_lists_are_rejected():
    with pytest.raises(ValueError):
        build_encoder(EncoderConfig(architecture="small_resnet", blocks_per_stage=(1,)))


@pytest.mark.parametrize("batch_norm", [False, True])
def test_projection_head_is_mlp_with_one_hidden_layer(batch_norm):
    head = ProjectionHead(input_dim=8, hidden_dim=16, output_dim=4, batch_norm=batch_norm)
    linears = [m for m in head.modules() if isinstance(m, torch.nn.Linear)]
    assert [(m.in_features, m.out_features) for m in linears] == [(8, 16), (16, 4)]
    assert head(torch.randn(5, 8)).shape == (5, 4)


def test_projection_head_computes_w2_relu_w1_h():
    head = ProjectionHead(input_dim=3, hidden_dim=4, output_dim=2)
    first, second = head.layers[0], head.layers[2]
    h = torch.randn(5, 3)
    expected = second(torch.relu(first(h)))
    torch.testing.assert_close(head(h), expected)


def test_flip_average_makes_h_blind_to_left_and_right_in_eval_mode_only(uint8_images):
    from dataclasses import replace

    torch.manual_seed(0)
    plain = build_encoder(TINY_ENCODER).eval()
    averaged = build_encoder(replace(TINY_ENCODER, flip_average=True)).eval()
    averaged.load_state_dict(plain.state_dict())
    mirrored = uint8_images.flip(-1)
    with torch.no_grad():
        h = averaged(uint8_images)
        assert torch.allclose(h, averaged(mirrored), atol=1e-5)
        assert torch.allclose(h, (plain(uint8_images) + plain(mirrored)) / 2, atol=1e-5)
        assert not torch.allclose(plain(uint8_images), plain(mirrored), atol=1e-3)
        averaged.train()
        assert not torch.allclose(averaged(uint8_images), averaged(mirrored), atol=1e-3)
