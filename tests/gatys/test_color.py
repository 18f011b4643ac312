import torch

from stylelab.gatys.color import join_luminance, match_histogram, match_luminance, rgb_to_yiq, yiq_to_rgb


def test_yiq_round_trip():
    image = torch.rand(1, 3, 8, 8)
    assert torch.allclose(yiq_to_rgb(rgb_to_yiq(image)), image, atol=1e-5)


def test_join_luminance_keeps_content_chroma():
    content = torch.rand(1, 3, 16, 16) * 0.2 + 0.4  # mid-range: the join needs no clamping
    output = torch.rand(1, 3, 16, 16) * 0.2 + 0.4
    joined = join_luminance(output, content)
    assert torch.allclose(rgb_to_yiq(joined)[:, 1:], rgb_to_yiq(content)[:, 1:], atol=1e-4)
    assert torch.allclose(rgb_to_yiq(joined)[:, :1], rgb_to_yiq(output)[:, :1], atol=1e-4)


def test_match_luminance_takes_content_statistics():
    style = torch.rand(1, 3, 32, 32) * 0.2
    content = torch.rand(1, 3, 32, 32) * 0.5 + 0.3
    matched = rgb_to_yiq(match_luminance(style, content))[:, 0]
    content_y = rgb_to_yiq(content)[:, 0]
    assert abs(matched.mean() - content_y.mean()) < 1e-3
    assert abs(matched.std() - content_y.std()) < 1e-3


def test_match_histogram_takes_content_mean_and_covariance():
    generator = torch.Generator().manual_seed(0)
    style = torch.rand(1, 3, 32, 32, generator=generator) * 0.3
    content = torch.rand(1, 3, 32, 32, generator=generator) * 0.4 + 0.3
    matched = match_histogram(style, content).reshape(3, -1)
    reference = content.reshape(3, -1)
    assert torch.allclose(matched.mean(1), reference.mean(1), atol=1e-3)
    assert torch.allclose(torch.cov(matched), torch.cov(reference), atol=1e-3)


def test_match_histogram_takes_a_correlated_content_covariance():
    # Channels that do not vary independently: the covariances do not commute, so the map must be
    # C_content^½ C_style^-½ (applied in that order) for the result's covariance to be C_content.
    generator = torch.Generator().manual_seed(1)
    base = torch.rand(3, 32 * 32, generator=generator, dtype=torch.float64) - 0.5
    style_mix = torch.tensor([[0.30, 0.00, 0.00], [0.20, 0.20, 0.00], [0.00, 0.00, 0.15]], dtype=torch.float64)
    content_mix = torch.tensor([[0.05, 0.00, 0.20], [0.00, 0.25, 0.00], [0.15, 0.00, 0.05]], dtype=torch.float64)
    style = (style_mix @ base + 0.5).float().reshape(1, 3, 32, 32)
    content = (content_mix @ base.flip(1) + 0.5).float().reshape(1, 3, 32, 32)
    matched = match_histogram(style, content).reshape(3, -1)
    reference = content.reshape(3, -1)
    assert torch.allclose(matched.mean(1), reference.mean(1), atol=1e-3)
    assert torch.allclose(torch.cov(matched), torch.cov(reference), atol=5e-5)
