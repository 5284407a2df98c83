"""Code generation: turns an optimized, memory-planned Program into a Python function.

numpy_codegen.py writes one flat function of NumPy calls into preallocated buffers (the CPU
backend); cupy_codegen.py runs the same generator with device buffers, host-to-device copies
of the arguments and fused elementwise chains as generated CUDA kernels (the GPU backend).
"""
