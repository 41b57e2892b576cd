"""NT-Xent against the paper's formula written out naively, and against exact values."""

import math

import pytest
import torch
import torch.nn.functional as F

from simclr_core.ssl.loss import nt_xent_loss


def naive_nt_xent(projections_a, projections_b, temperature):
    """SimCLR eq. 1 and Algorithm 1, loop by loop: l(i, j) averaged over all positive pairs."""
    views = torch.cat([projections_a, projections_b]).double()
    count = views.shape[0]
    batch = count // 2

    def similarity(i, j):
        return torch.dot(views[i], views[j]) / (views[i].norm() * views[j].norm())

    def pair_loss(i, j):
        numerator = torch.exp(similarity(i, j) / temperature)
        denominator = sum(torch.exp(similarity(i, k) / temperature) for k in range(count) if k != i)
        return -torch.log(numerator / denominator)

    total = sum(pair_loss(k, k + batch) + pair_loss(k + batch, k) for k in range(batch))
    return total / (2 * batch)


@pytest.mark.parametrize("temperature", [0.1, 0.5, 1.0])
def test_matches_naive_formula(temperature):
    generator = torch.Generator().manual_seed(0)
    projections_a = torch.randn(6, 5, generator=generator)
    projections_b = torch.randn(6, 5, generator=generator)
    expected = naive_nt_xent(projections_a, projections_b, temperature)
    actual = nt_xent_loss(projections_a, projections_b, temperature)
    torch.testing.assert_close(actual.double(), expected, rtol=1e-5, atol=1e-6)


def test_identical_embeddings_give_log_of_two_n_minus_one():
    same = torch.ones(4, 3)
    assert nt_xent_loss(same, same, 0.5).item() == pytest.approx(math.log(2 * 4 - 1), rel=1e-6)


def test_orthogonal_perfect_pairs_give_exact_value():
    # Each image's two views coincide and all images are orthogonal: positive similarity 1,
    # negatives 0, so l = -log(e^(1/t) / (e^(1/t) + 2(N-1))).
    batch, temperature = 3, 0.5
    views = torch.eye(batch)
    expected = -math.log(math.exp(2.0) / (math.exp(2.0) + 2 * (batch - 1)))
    assert nt_xent_loss(views, views, temperature).item() == pytest.approx(expected, rel=1e-6)


def test_scale_of_projections_does_not_matter():
    generator = torch.Generator().manual_seed(1)
    projections_a, projections_b = torch.randn(2, 5, 4, generator=generator)
    torch.testing.assert_close(
        nt_xent_loss(projections_a, projections_b), nt_xent_loss(7 * projections_a, projections_b)
    )


def test_gradient_is_finite_at_tiny_temperature():
    projections = torch.randn(8, 4, requires_grad=True)
    loss = nt_xent_loss(projections, F.normalize(projections.detach(), dim=1), 0.01)
    loss.backward()
    assert torch.isfinite(projections.grad).all()


@pytest.mark.parametrize(
    ("shape_a", "shape_b", "temperature"),
    [((4, 3), (5, 3), 0.5), ((1, 3), (1, 3), 0.5), ((4, 3), (4, 3), 0.0)],
)
def test_rejects_bad_input(shape_a, shape_b, temperature):
    with pytest.raises(ValueError):
        nt_xent_loss(torch.randn(shape_a), torch.randn(shape_b), temperature)
