"""Horovod elastic Keras MNIST (after Horovod's own example) reporting its progress
to voda-scheduler with VodaProgressCallback. Run by
examples/tensorflow2-keras-mnist-elastic.yaml through horovodrun."""

import argparse

import horovod.tensorflow.keras as hvd
import tensorflow as tf

from voda_keras import VodaProgressCallback

parser = argparse.ArgumentParser(description="Elastic Keras MNIST")
parser.add_argument("--epochs", type=int, default=24)
parser.add_argument("--steps-per-epoch", type=int, default=500)
parser.add_argument("--batch-size", type=int, default=128)
args = parser.parse_args()

hvd.init()
gpus = tf.config.experimental.list_physical_devices("GPU")
for gpu in gpus:
    tf.config.experimental.set_memory_growth(gpu, True)
if gpus:
    tf.config.experimental.set_visible_devices(gpus[hvd.local_rank()], "GPU")

(images, labels), _ = tf.keras.datasets.mnist.load_data(path="mnist-%d.npz" % hvd.rank())
dataset = (
    tf.data.Dataset.from_tensor_slices(
        (tf.cast(images[..., tf.newaxis] / 255.0, tf.float32), tf.cast(labels, tf.int64))
    )
    .repeat()
    .shuffle(10000)
    .batch(args.batch_size)
)

model = tf.keras.Sequential([
    tf.keras.layers.Conv2D(32, [3, 3], activation="relu"),
    tf.keras.layers.Conv2D(64, [3, 3], activation="relu"),
    tf.keras.layers.MaxPooling2D(pool_size=(2, 2)),
    tf.keras.layers.Dropout(0.25),
    tf.keras.layers.Flatten(),
    tf.keras.layers.Dense(128, activation="relu"),
    tf.keras.layers.Dropout(0.5),
    tf.keras.layers.Dense(10, activation="softmax"),
])
# The learning rate scales with the workers; an elastic reset re-applies it.
optimizer = hvd.DistributedOptimizer(tf.optimizers.Adam(0.001 * hvd.size()))
model.compile(loss=tf.losses.SparseCategoricalCrossentropy(), optimizer=optimizer,
              metrics=["accuracy"], experimental_run_tf_function=False)

state = hvd.elastic.KerasState(model, batch=0, epoch=0)


def on_state_reset():
    tf.keras.backend.set_value(state.model.optimizer.lr, 0.001 * hvd.size())


state.register_reset_callbacks([on_state_reset])

callbacks = [
    hvd.elastic.CommitStateCallback(state),
    hvd.elastic.UpdateBatchStateCallback(state),
    hvd.elastic.UpdateEpochStateCallback(state),
    # Reports from whichever rank is 0 now, with hvd.size() workers.
    VodaProgressCallback(),
]


@hvd.elastic.run
def train(state):
    # initial_epoch keeps epoch numbers absolute across elastic resets, so the
    # reported epoch is the job's real progress.
    state.model.fit(dataset, steps_per_epoch=args.steps_per_epoch // hvd.size(),
                    initial_epoch=state.epoch, epochs=args.epochs,
                    callbacks=callbacks, verbose=1 if hvd.rank() == 0 else 0)


train(state)
