"""HART's autoregressive decoder, the HyperTuning pass, the Figure 1 map, parameter counts."""

import torch
from transformers.cache_utils import DynamicCache, EncoderDecoderCache

from hart.model.hypernet import CACHE_KWARG, HyperNetwork
from hart.model.t5 import LARGE, SMALL, XL, Geometry, build_t5, param_count_formula, untied_head

G = Geometry(vocab_size=90, d_model=32, d_ff=64, num_heads=4, d_kv=8, num_layers=3, num_decoder_layers=3)


def _inputs():
    g = torch.Generator().manual_seed(3)
    ids = torch.randint(3, 90, (2, 9), generator=g)
    mask = torch.ones_like(ids)
    mask[1, 6:] = 0
    return ids, mask


def _hart(kind="hart"):
    return HyperNetwork(build_t5(G, seed=0), kind, prefix_len=4, dec_layers=2, init="pretrained").eval()


def test_cached_step_equals_full_recompute():
    """h_l from the KV-cached loop == the decoder run without cache on [z, h_1, ..., h_{l-1}]."""
    hn = _hart()
    ids, mask = _inputs()
    out = hn(ids, mask)
    z = hn.z.unsqueeze(0).expand(2, -1, -1)
    seq = torch.cat([z] + [out.states[:, l] for l in range(hn.L - 1)], dim=1)  # (b, 2L, d)
    full = hn.decoder(inputs_embeds=seq, encoder_hidden_states=out.memory, encoder_attention_mask=mask,
                      use_cache=False).last_hidden_state
    recomputed = full.view(2, hn.L, 2, -1)
    torch.testing.assert_close(recomputed, out.states, rtol=1e-5, atol=1e-5)


def test_earlier_states_do_not_see_later_inputs():
    """Feeding a different input at step 3 leaves h_1, h_2 unchanged (causal across steps)."""
    hn = _hart()
    ids, mask = _inputs()
    memory = hn.encode(ids, mask)
    z = hn.z.unsqueeze(0).expand(2, -1, -1)
    run = lambda inputs: [hn.decoder(inputs_embeds=x, encoder_hidden_states=memory, encoder_attention_mask=mask,  # noqa
                                     use_cache=True, **{CACHE_KWARG: cache}).last_hidden_state for x in inputs]
    cache = EncoderDecoderCache(DynamicCache(), DynamicCache())
    a = run([z, z * 0.5, z * 2.0])
    cache = EncoderDecoderCache(DynamicCache(), DynamicCache())
    b = run([z, z * 0.5, z * -3.0])
    torch.testing.assert_close(a[0], b[0])
    torch.testing.assert_close(a[1], b[1])
    assert (a[2] - b[2]).abs().max() > 1e-3


def test_changing_z_changes_every_state():
    hn = _hart()
    ids, mask = _inputs()
    before = hn(ids, mask).states
    with torch.no_grad():
        hn.z.add_(0.5)
    after = hn(ids, mask).states
    per_step = (after - before).abs().amax(dim=(0, 2, 3))
    assert per_step.shape == (hn.L,) and bool((per_step > 1e-4).all())


def test_prefix_shapes_and_rows():
    """Row 0 of h_l drives encoder layer l, row 1 decoder layer l."""
    hn = _hart()
    ids, mask = _inputs()
    out = hn(ids, mask)
    assert out.prefixes.enc_k.shape == (2, 3, 4, 32) and out.prefixes.dec_v.shape == (2, 3, 4, 32)
    again = hn.heads(out.states[:, :, 0:1], out.states[:, :, 1:2])
    torch.testing.assert_close(again.enc_k, out.prefixes.enc_k)
    swapped = hn.heads(out.states[:, :, 1:2], out.states[:, :, 0:1])
    assert (swapped.enc_k - out.prefixes.enc_k).abs().max() > 1e-4


def test_hypertuning_pass_is_bidirectional():
    """Changing the last z row changes the first output row (it would not under a causal mask)."""
    hn = _hart("hypertuning")
    ids, mask = _inputs()
    a = hn(ids, mask).states
    with torch.no_grad():
        hn.z[-1].add_(1.0)
    b = hn(ids, mask).states
    assert a.shape == (2, 8, 32)
    assert (a[:, 0] - b[:, 0]).abs().max() > 1e-4


def test_layerwise_attention_map():
    hn = _hart("layerwise")
    ids, mask = _inputs()
    out = hn(ids, mask, attention=True)
    assert out.attention.shape == (2, 3, 3)
    torch.testing.assert_close(out.attention.sum(-1), torch.ones(2, 3))
    # bidirectional: some weight on a later layer's state
    assert out.attention[:, 0, 1:].sum() > 0


def test_pretrained_init_copies_main_weights():
    main = build_t5(G, seed=0)
    hn = HyperNetwork(main, "hart", 4, 2, "pretrained")
    assert torch.equal(hn.encoder.block[1].layer[1].DenseReluDense.wo.weight, main.encoder.block[1].layer[1].DenseReluDense.wo.weight)
    assert torch.equal(hn.decoder.block[1].layer[0].SelfAttention.q.weight, main.decoder.block[1].layer[0].SelfAttention.q.weight)
    assert len(hn.decoder.block) == 2
    assert hn.encoder.block[0].layer[0].SelfAttention.q.weight.data_ptr() != main.encoder.block[0].layer[0].SelfAttention.q.weight.data_ptr()
    rnd = HyperNetwork(main, "hart", 4, 2, "random")
    assert not torch.equal(rnd.encoder.block[1].layer[1].DenseReluDense.wo.weight, main.encoder.block[1].layer[1].DenseReluDense.wo.weight)


def test_param_counts_large_xl_match_formula_and_head_is_untied():
    for g, expected in ((SMALL, 76_961_152), (LARGE, 783_150_080), (XL, 2_849_757_184)):
        m = build_t5(g, device="meta")
        n = sum(p.numel() for p in m.parameters())
        assert n == param_count_formula(g) == expected
        assert untied_head(m)
    tiny = build_t5(G, seed=0)
    assert untied_head(tiny) and not torch.equal(tiny.lm_head.weight, tiny.shared.weight)
