"""A Keras callback that reports every finished epoch to voda-scheduler.

    from voda_keras import VodaProgressCallback
    model.fit(..., callbacks=[VodaProgressCallback()])

It times each epoch and its steps and calls voda_progress.report_epoch from rank 0
only (one report per epoch, not one per worker). With Horovod, the worker count is
hvd.size() at the end of the epoch, so an elastic job that was scaled reports the
count it really ran with. Epoch numbers are Keras's, plus one: pass
initial_epoch=<epochs already done> to fit() after an elastic reset so they stay
absolute.
"""

import os
import time

import tensorflow as tf

from voda_progress import report_epoch


def _horovod():
    try:
        import horovod.tensorflow.keras as hvd
        return hvd
    except ImportError:
        return None


class VodaProgressCallback(tf.keras.callbacks.Callback):
    def __init__(self, workers=None, **report_kwargs):
        """workers: a number or a function returning one; default hvd.size(), else $NP."""
        super().__init__()
        self._workers = workers
        self._report_kwargs = report_kwargs
        self._hvd = _horovod()
        self._epoch_start = None
        self._steps = 0

    def _worker_count(self):
        if callable(self._workers):
            return int(self._workers())
        if self._workers is not None:
            return int(self._workers)
        if self._hvd is not None:
            return self._hvd.size()
        return int(os.environ.get("NP", "1"))

    def _is_reporter(self):
        return self._hvd is None or self._hvd.rank() == 0

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch_start = time.monotonic()
        self._steps = 0

    def on_train_batch_end(self, batch, logs=None):
        self._steps += 1

    def on_epoch_end(self, epoch, logs=None):
        if self._epoch_start is None or not self._is_reporter():
            return
        seconds = time.monotonic() - self._epoch_start
        step = seconds / self._steps if self._steps else 0.0
        report_epoch(epoch + 1, self._worker_count(), seconds, step, **self._report_kwargs)
