"""glassbox.compress: make inference cheaper -- int8 quantization and pruning.

Everything here wraps or swaps modules; nn/layers stays free of compression branches.

* quantize.py: `quantize` (static, calibrated), `quantize_dynamic`, QuantizedLinear/Conv2d.
* prune.py: magnitude pruning with masks (unstructured, per layer or global) and structured
  pruning that physically removes conv channels / linear neurons.
* report.py: `compression_report` -- file size, accuracy and latency before and after.
"""

from glassbox.compress.measure import (
    CompressionReport,
    accuracy_of,
    compression_report,
    file_size,
)
from glassbox.compress.observers import MinMaxObserver, PercentileObserver
from glassbox.compress.prune import (
    global_unstructured,
    is_pruned,
    l1_unstructured,
    prune_channels,
    remove,
    sparsity,
)
from glassbox.compress.qgemm import qmatmul
from glassbox.compress.qlstm import DynamicQuantizedLSTM
from glassbox.compress.quantize import (
    DynamicQuantizedLinear,
    QuantizedConv2d,
    QuantizedLinear,
    load_quantized,
    quantize,
    quantize_dynamic,
    quantize_weight,
)
