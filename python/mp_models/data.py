"""Evaluation data: sentences for the encoder (written for this repository)
and a public-domain English text for the decoder's perplexity (the King James
Bible as Debian's bible-kjv package prints it)."""
import re
import shutil
import subprocess

SENTENCES = [
    "The compiler assigns a precision to every tensor in the graph.",
    "A cat slept on the warm windowsill all afternoon.",
    "Half-precision floating point overflows above sixty-five thousand.",
    "She bought fresh bread and a jar of honey at the market.",
    "The train to the coast leaves at seven in the morning.",
    "Matrix multiplication dominates the cost of transformer inference.",
    "He forgot his umbrella and walked home in the rain.",
    "Quantized weights take a quarter of the memory of single precision ones.",
    "The river flooded the fields after a week of heavy storms.",
    "Children were playing football in the park near the school.",
    "Tensor cores multiply small tiles of half-precision numbers very quickly.",
    "The museum opens a new exhibition of old maps next month.",
    "Rounding errors accumulate when long sums are computed in low precision.",
    "My grandmother grows tomatoes, beans and squash in her garden.",
    "The orchestra played the symphony without a single wrong note.",
    "A good benchmark reports the median of many repeated runs.",
    "The mountain road was closed because of snow and ice.",
    "He asked the librarian for a book about the history of ships.",
    "Attention layers compare every token with every other token.",
    "The bakery on the corner sells the best apple pie in town.",
    "Scientists measured the temperature of the lake every hour.",
    "The new phone has a larger screen and a longer battery life.",
    "Layer normalization keeps activations in a stable range.",
    "We watched the sun set over the ocean from the cliff.",
    "The committee will announce its decision on Friday afternoon.",
    "Outlier channels make eight-bit activations hard to quantize.",
    "A small dog barked at the mail carrier every single day.",
    "The recipe calls for two cups of flour and three eggs.",
    "Students prepared for the final exam by working through old problems.",
    "The bridge was painted bright red to match the city's colors.",
    "Compilers fuse elementwise operations to save memory traffic.",
    "The hikers reached the summit just before the clouds rolled in.",
]

# Books printed for the perplexity text, in order (about 30,000 tokens in all;
# the evaluation takes as many windows as it is asked for).
KJV_RANGES = ["Ruth 1:1-4:22", "Jonah 1:1-4:11", "Esther 1:1-10:3", "Genesis 1:1-11:32"]


def kjv_text():
    """Plain text of KJV_RANGES from the `bible` program (Debian: bible-kjv)."""
    exe = shutil.which("bible")
    if exe is None:
        raise RuntimeError("the `bible` program is missing: apt-get install bible-kjv "
                           "(scripts/setup-models.sh does)")
    parts = []
    for r in KJV_RANGES:
        out = subprocess.run([exe, "-f", r], check=True, capture_output=True, text=True).stdout
        for line in out.splitlines():
            line = re.sub(r"^\S+\d+:\d+\s+", "", line.strip())
            if line:
                parts.append(line)
    return " ".join(parts)
