"""Report training progress to voda-scheduler from inside a training script.

Standard library only (urllib), so it runs in any training image. The scheduler
learns each job's epoch time by worker count from these reports and uses it to
decide how many GPUs the job gets (README, "Progress reports").

The manager injects two variables into the job's launcher, and horovodrun passes
its environment on to every rank it starts:

  VODA_PROGRESS_URL    where to report, .../training/<namespace>/<name>/progress
  VODA_PROGRESS_TOKEN  the job's own token (its other jobs' tokens do not work)

Without them (e.g. running the script on a laptop) reporting is a no-op.

    from voda_progress import report_epoch
    report_epoch(epoch=3, workers=4, epoch_seconds=61.2, step_seconds=0.12)

Reporting never stops training: an unreachable manager or a refused report is
logged as a warning and the call returns None, unless raise_errors=True.
"""

import json
import logging
import os
import urllib.error
import urllib.request

URL_ENV = "VODA_PROGRESS_URL"
TOKEN_ENV = "VODA_PROGRESS_TOKEN"

log = logging.getLogger("voda_progress")


class ReportError(Exception):
    """The manager refused the report (status and its one-line reason) or was unreachable."""

    def __init__(self, status, message):
        super().__init__("progress report refused ({}): {}".format(status, message))
        self.status = status
        self.message = message


def _post(body, content_type, url, token, timeout, raise_errors):
    url = url or os.environ.get(URL_ENV)
    token = token or os.environ.get(TOKEN_ENV)
    if not url or not token:
        log.debug("no %s/%s: progress is not reported", URL_ENV, TOKEN_ENV)
        return None
    request = urllib.request.Request(
        url,
        data=body.encode("utf-8"),
        method="POST",
        headers={
            "Authorization": "Bearer " + token,
            "Content-Type": content_type,
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as reply:
            return json.loads(reply.read().decode("utf-8"))
    except urllib.error.HTTPError as e:
        error = ReportError(e.code, e.read().decode("utf-8", "replace").strip())
    except (urllib.error.URLError, OSError, ValueError) as e:
        error = ReportError(None, str(e))
    if raise_errors:
        raise error
    log.warning("%s", error)
    return None


def report_epoch(epoch, workers, epoch_seconds, step_seconds=0.0, url=None, token=None,
                 timeout=10.0, raise_errors=False):
    """Report one finished epoch.

    epoch: the epoch just finished, counted from 1 (Keras's on_epoch_end index + 1).
    workers: how many workers (Horovod ranks) trained it.
    epoch_seconds, step_seconds: how long the epoch and one step took.
    Returns the manager's reply (the job's new estimate) as a dict, or None.
    """
    body = json.dumps({
        "epoch": int(epoch),
        "workers": int(workers),
        "epochSeconds": float(epoch_seconds),
        "stepSeconds": float(step_seconds),
    })
    return _post(body, "application/json", url, token, timeout, raise_errors)


def report_csv(text, url=None, token=None, timeout=10.0, raise_errors=False):
    """Send rows of the old metrics CSV (header with epoch, workers, epoch_time_sec,
    step_time_sec, start_time, ...) as they are, e.g. an existing per-epoch file."""
    return _post(text, "text/csv", url, token, timeout, raise_errors)
