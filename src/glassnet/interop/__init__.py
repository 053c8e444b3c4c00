"""PyTorch weights in and out, never through pickle; the model out as ONNX.

    import glassnet as gn
    from glassnet.interop import load_torch_state_dict, save_torch_state_dict, from_torch_module

    model = gn.zoo.lenet5()
    load_torch_state_dict(model, "lenet.safetensors")   # safetensors.torch.save_file(net.state_dict(), ...)
    save_torch_state_dict(model, "back.safetensors")    # net.load_state_dict(safetensors.torch.load_file(...))
    model = from_torch_module(torch_sequential, input_shape=(1, 28, 28))   # needs torch
    model.export_onnx("lenet5.onnx")                    # = export_onnx(model, path); needs onnx

``state_dict`` matches modules to layers and converts the tensors (Linear's weight is
transposed into Dense's W); ``torch_module`` translates an ``nn.Sequential`` layer by layer.
A ``.pt`` / ``.pth`` file is a pickle and is refused, with the two lines of PyTorch that
re-save it as safetensors. ``onnx_export`` writes the model as an ONNX graph (onnx is
imported only when it is called).
"""
from .state_dict import (PICKLE_SUFFIXES, load_torch_state_dict, save_torch_state_dict, set_torch_state,
                         to_torch_state_dict, torch_slots)
from .torch_module import TORCH_LAYERS, from_torch_module
from .onnx_export import ONNX_LAYERS, ONNX_OPSET, export_onnx, to_onnx

__all__ = ["load_torch_state_dict", "save_torch_state_dict", "to_torch_state_dict", "set_torch_state",
           "from_torch_module", "torch_slots", "TORCH_LAYERS", "PICKLE_SUFFIXES",
           "export_onnx", "to_onnx", "ONNX_OPSET", "ONNX_LAYERS"]
