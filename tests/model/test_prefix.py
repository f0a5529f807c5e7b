"""Prefix injection: checked against untouched transformers T5 and an explicit reference."""

import torch
import pytest

from hart.model.prefix import PrefixInjector, Prefixes
from hart.model.t5 import Geometry, build_t5

G = Geometry(vocab_size=120, d_model=32, d_ff=64, num_heads=4, d_kv=8, num_layers=2, num_decoder_layers=2)
INNER = G.num_heads * G.d_kv


def _batch():
    g = torch.Generator().manual_seed(1)
    ids = torch.randint(3, G.vocab_size, (2, 7), generator=g)
    mask = torch.ones_like(ids)
    mask[1, 4:] = 0
    labels = torch.randint(3, G.vocab_size, (2, 5), generator=g)
    return ids, mask, labels


def _prefixes(p, batch=2, seed=2):
    g = torch.Generator().manual_seed(seed)
    mk = lambda: torch.randn(batch, G.num_layers, p, INNER, generator=g)  # noqa: E731
    return Prefixes(mk(), mk(), mk(), mk())


def test_zero_length_prefix_matches_untouched_t5():
    ids, mask, labels = _batch()
    plain = build_t5(G, seed=0).eval()
    ref = plain(input_ids=ids, attention_mask=mask, labels=labels).logits
    model = build_t5(G, seed=0).eval()
    inj = PrefixInjector(model)
    with inj.active(_prefixes(0)):
        out = model(input_ids=ids, attention_mask=mask, labels=labels).logits
    torch.testing.assert_close(out, ref, rtol=0, atol=1e-6)


def test_padding_still_masked_with_prefixes():
    """Changing padded input tokens must not change the unpadded rows' logits."""
    ids, mask, labels = _batch()
    model = build_t5(G, seed=0).eval()
    inj = PrefixInjector(model)
    pre = _prefixes(3)
    other = ids.clone()
    other[1, 4:] = 5
    with inj.active(pre):
        a = model(input_ids=ids, attention_mask=mask, labels=labels).logits
        b = model(input_ids=other, attention_mask=mask, labels=labels).logits
    torch.testing.assert_close(a, b, rtol=0, atol=1e-5)
    with inj.active(pre):
        c = model(input_ids=ids, attention_mask=mask, labels=labels).logits
    assert (c - build_t5(G, seed=0).eval()(input_ids=ids, attention_mask=mask, labels=labels).logits).abs().max() > 1e-2


def _capture(module):
    seen = {}

    def hook(mod, args, kwargs, output):
        seen["hidden"] = args[0] if args else kwargs["hidden_states"]
        seen["out"] = output[0]

    return seen, module.register_forward_hook(hook, with_kwargs=True)


def _reference(attn, bias_module, hidden, pk, pv, mask_2d, causal):
    """Explicit softmax over [prefix ; keys] with zero bias and no mask on prefix columns."""
    b, q_len, _ = hidden.shape
    h, dk = attn.n_heads, attn.key_value_proj_dim
    split = lambda x: x.view(b, -1, h, dk).transpose(1, 2)  # noqa: E731
    q, k, v = split(attn.q(hidden)), split(attn.k(hidden)), split(attn.v(hidden))
    p = pk.shape[1]
    k = torch.cat([pk.view(b, p, h, dk).transpose(1, 2), k], 2)
    v = torch.cat([pv.view(b, p, h, dk).transpose(1, 2), v], 2)
    scores = q @ k.transpose(2, 3)  # T5: no 1/sqrt(d) scaling
    bias = bias_module.compute_bias(q_len, q_len)  # (1, h, q, q)
    scores[..., p:] += bias
    allowed = torch.ones(b, 1, q_len, q_len, dtype=torch.bool)
    if mask_2d is not None:
        allowed &= mask_2d[:, None, None, :].bool()
    if causal:
        allowed &= torch.tril(torch.ones(q_len, q_len, dtype=torch.bool))
    scores[..., p:] = scores[..., p:].masked_fill(~allowed, float("-inf"))
    w = torch.softmax(scores, -1)
    return attn.o((w @ v).transpose(1, 2).reshape(b, q_len, h * dk))


@pytest.mark.parametrize("kind,layer", [("enc", 1), ("dec", 1), ("dec", 0)])
def test_injected_prefix_matches_reference(kind, layer):
    ids, mask, labels = _batch()
    model = build_t5(G, seed=0).eval()
    inj = PrefixInjector(model)
    pre = _prefixes(3)
    stack = model.encoder if kind == "enc" else model.decoder
    attn = stack.block[layer].layer[0].SelfAttention
    seen, handle = _capture(attn)
    with inj.active(pre):
        model(input_ids=ids, attention_mask=mask, labels=labels)
    handle.remove()
    pk, pv = pre.site(kind, layer)
    bias_module = stack.block[0].layer[0].SelfAttention
    ref = _reference(attn, bias_module, seen["hidden"], pk, pv, mask if kind == "enc" else None, kind == "dec")
    torch.testing.assert_close(seen["out"], ref, rtol=1e-5, atol=1e-5)


def test_prefix_batch_of_one_broadcasts():
    ids, mask, labels = _batch()
    model = build_t5(G, seed=0).eval()
    inj = PrefixInjector(model)
    one = _prefixes(3, batch=1)
    two = one.index(torch.tensor([0, 0]))
    with inj.active(one):
        a = model(input_ids=ids, attention_mask=mask, labels=labels).logits
    with inj.active(two):
        b = model(input_ids=ids, attention_mask=mask, labels=labels).logits
    torch.testing.assert_close(a, b, rtol=0, atol=1e-6)


def test_cached_generation_equals_uncached_greedy():
    ids, mask, _ = _batch()
    model = build_t5(G, seed=0).eval()
    inj = PrefixInjector(model)
    pre = _prefixes(4, seed=7)
    with inj.active(pre), torch.no_grad():
        cached = model.generate(input_ids=ids, attention_mask=mask, max_new_tokens=8, do_sample=False,
                                min_new_tokens=8, use_cache=True)
        # uncached greedy: recompute the whole decoder each step
        dec = torch.zeros(2, 1, dtype=torch.long)
        enc = model.encoder(input_ids=ids, attention_mask=mask)
        for _ in range(8):
            logits = model(encoder_outputs=enc, attention_mask=mask, decoder_input_ids=dec, use_cache=False).logits
            logits[:, -1, 1] = float("-inf")  # min_new_tokens forbids EOS, as in generate above
            dec = torch.cat([dec, logits[:, -1].argmax(-1, keepdim=True)], 1)
    assert torch.equal(cached, dec)


def test_cross_attention_untouched_unless_asked():
    ids, mask, labels = _batch()
    model = build_t5(G, seed=0).eval()
    PrefixInjector(model)
    cross = model.decoder.block[0].layer[1].EncDecAttention
    assert not hasattr(cross, "hart_site")
    model2 = build_t5(G, seed=0).eval()
    PrefixInjector(model2, prefix_cross=True)
    assert model2.decoder.block[0].layer[1].EncDecAttention.hart_site == ("cross", 0)
