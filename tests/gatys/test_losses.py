import torch

from stylelab.gatys.config import GatysConfig
from stylelab.gatys.losses import blended_grams, content_loss, gram, relative_error, tv_loss


def test_gram_of_known_tensor():
    # Two channels over four positions: a = [1, 2, 3, 4], b = [1, 0, 1, 0].
    features = torch.tensor([[1.0, 2.0, 3.0, 4.0], [1.0, 0.0, 1.0, 0.0]]).reshape(1, 2, 2, 2)
    expected = torch.tensor([[30.0, 4.0], [4.0, 2.0]]) / 4
    assert torch.allclose(gram(features)[0], expected)


def test_gram_of_ones_is_ones():
    assert torch.allclose(gram(torch.ones(2, 3, 5, 7)), torch.ones(2, 3, 3))


def test_gram_gradient_matches_finite_differences():
    features = torch.randn(1, 3, 4, 5, dtype=torch.float64, requires_grad=True)
    weights = torch.randn(1, 3, 3, dtype=torch.float64)
    assert torch.autograd.gradcheck(lambda f: (gram(f) * weights).sum(), (features,))


def test_gram_gradient_matches_autograd_of_plain_matmul():
    features = torch.randn(1, 4, 6, 6, requires_grad=True)
    target = torch.randn(1, 4, 4)
    relative_error(gram(features), target).backward()
    ours = features.grad.clone()
    features.grad = None
    flat = features.reshape(1, 4, 36)
    relative_error(flat @ flat.transpose(1, 2) / 36, target).backward()
    assert torch.allclose(ours, features.grad, atol=1e-6)


def test_losses_are_zero_for_identical_inputs():
    features = torch.rand(1, 8, 6, 6)
    assert content_loss(features, features.clone()) == 0
    assert relative_error(gram(features), gram(features.clone())) == 0
    assert tv_loss(torch.full((1, 3, 8, 8), 0.3)) == 0


def test_content_loss_is_relative_to_the_target_features():
    # ‖F − P‖² / ‖P‖², P the content's features: 1 for all-zero features, not ‖P‖² / 0
    target = torch.tensor([1.0, 2.0, 2.0]).reshape(1, 3, 1, 1)  # ‖P‖² = 9
    assert torch.isclose(content_loss(torch.zeros_like(target), target), torch.tensor(1.0))
    assert torch.isclose(content_loss(target / 2, target), torch.tensor(0.25))
    assert torch.isclose(content_loss(target * 2, target), torch.tensor(1.0))


def test_relative_error_is_one_for_zero_prediction():
    target = torch.rand(10) + 0.1
    assert torch.isclose(relative_error(torch.zeros(10), target), torch.tensor(1.0))


def test_tv_loss_of_a_step_edge():
    image = torch.zeros(1, 1, 2, 2)
    image[..., 1] = 1.0  # one vertical edge: horizontal differences all 1, vertical all 0
    assert torch.isclose(tv_loss(image), torch.tensor(1.0))


def test_blended_grams_are_a_weighted_mean():
    g1, g2 = {"l": torch.ones(1, 2, 2)}, {"l": torch.zeros(1, 2, 2)}
    assert torch.allclose(blended_grams([g1, g2], [3.0, 1.0])["l"], torch.full((1, 2, 2), 0.75))
    # weights near the float limit: their sum is infinite, their proportions are not
    assert torch.allclose(blended_grams([g1, g2], [1.5e308, 0.5e308])["l"], torch.full((1, 2, 2), 0.75))


def test_style_layer_weights_near_the_float_limit_keep_their_proportions():
    from stylelab.gatys.engine import _layer_weights

    layers = ("relu1_1", "relu2_1", "relu3_1")
    huge = _layer_weights(GatysConfig(style_layers=layers, style_layer_weights=(1e308, 1e308, 0.0)))
    assert huge == {"relu1_1": 0.5, "relu2_1": 0.5}


def test_bfloat16_gram_products_stay_close_to_float32():
    generator = torch.Generator().manual_seed(0)
    features = torch.rand(1, 16, 24, 24, generator=generator, requires_grad=True)
    weights = torch.rand(1, 16, 16, generator=generator)
    exact = gram(features)
    fast = gram(features, torch.bfloat16)
    assert fast.dtype == torch.float32
    assert relative_error(fast, exact).item() < 1e-4
    (exact_grad,) = torch.autograd.grad((exact * weights).sum(), features)
    (fast_grad,) = torch.autograd.grad((fast * weights).sum(), features)
    assert relative_error(fast_grad, exact_grad).item() < 1e-4
    assert not torch.equal(fast, exact)  # the products really ran in bfloat16


def test_fast_product_dtype_is_float32_off_cpu_or_without_native_bfloat16(monkeypatch):
    from stylelab.gatys.losses import fast_product_dtype

    assert fast_product_dtype(torch.device("cuda")) == torch.float32
    monkeypatch.setattr(torch.cpu, "_is_avx512_bf16_supported", lambda: False)
    assert fast_product_dtype(torch.device("cpu")) == torch.float32
