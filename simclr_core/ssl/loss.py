"""NT-Xent, the normalized temperature-scaled cross-entropy loss of SimCLR."""

from __future__ import annotations

import torch
import torch.nn.functional as F


def nt_xent_loss(
    projections_a: torch.Tensor, projections_b: torch.Tensor, temperature: float = 0.5
) -> torch.Tensor:
    """NT-Xent loss (SimCLR eq. 1) averaged over all 2N views.

    For each of the 2N views, the positive is the other view of the same image and the
    negatives are the 2(N-1) views of the other images. The loss is computed as a
    cross-entropy over cosine-similarity logits divided by the temperature, with the
    self-similarity masked out (-inf), which is the numerically stable form of
    -log(exp(sim(i,j)/tau) / sum_{k != i} exp(sim(i,k)/tau)).

    Args:
        projections_a: z of the first views, (batch, dim).
        projections_b: z of the second views, (batch, dim); row i pairs with row i of a.
        temperature: tau > 0.

    Returns:
        scalar loss (float32 even under bf16 autocast).

    Raises:
        ValueError: on mismatched shapes, batch < 2, or temperature <= 0.
    """
    if projections_a.shape != projections_b.shape or projections_a.dim() != 2:
        raise ValueError(
            f"expected two (batch, dim) tensors of equal shape, got "
            f"{tuple(projections_a.shape)} and {tuple(projections_b.shape)}"
        )
    batch = projections_a.shape[0]
    if batch < 2:
        raise ValueError("NT-Xent needs at least 2 images per batch (negatives)")
    if temperature <= 0:
        raise ValueError(f"temperature must be positive, got {temperature}")
    views = F.normalize(torch.cat([projections_a, projections_b]).float(), dim=1)
    logits = views @ views.T / temperature
    logits.fill_diagonal_(float("-inf"))
    index = torch.arange(batch, device=views.device)
    positives = torch.cat([index + batch, index])
    return F.cross_entropy(logits, positives)
