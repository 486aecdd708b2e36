"""Export a PyTorch module to linalg-on-tensors MLIR with torch-mlir's FX importer."""
import time


def export(module, example_inputs, path, func_name="main"):
    """Writes the f32 model as MLIR (text, weights as dense_resource blobs, or
    bytecode when `path` ends in .mlirbc). Returns the export time in seconds."""
    import torch
    from torch_mlir import fx
    t0 = time.perf_counter()
    with torch.no_grad():
        m = fx.export_and_import(module, *example_inputs, output_type="linalg-on-tensors",
                                 func_name=func_name)
    if path.endswith(".mlirbc"):
        with open(path, "wb") as f:
            m.operation.write_bytecode(f)
    else:
        with open(path, "w") as f:
            m.operation.print(file=f, large_elements_limit=None, enable_debug_info=False)
    return time.perf_counter() - t0
