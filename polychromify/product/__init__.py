"""The product: what colours a photo. Colour spaces, image reading, the model builders inference needs, the
shipped models, the metric registry and ``colorize``. It imports nothing from the other wings."""
