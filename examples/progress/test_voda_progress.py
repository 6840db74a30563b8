"""Tests of voda_progress against a small local HTTP server (stdlib only).

    python3 -m unittest discover -s examples/progress -p 'test_*.py'

Run by `cargo test` (tests/python_progress_helper.rs).
"""

import http.server
import json
import os
import threading
import unittest
from unittest import mock

import voda_progress


class Recorder(http.server.BaseHTTPRequestHandler):
    """Answers like the manager: 401 without a token, 403 with a wrong one."""

    requests = []
    token = "t0ken"

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
        Recorder.requests.append((self.path, dict(self.headers), body))
        auth = self.headers.get("Authorization", "")
        if not auth.startswith("Bearer "):
            self._reply(401, "text/plain", "progress reports need the job's token\n")
        elif auth != "Bearer " + Recorder.token:
            self._reply(403, "text/plain", "the token is not the progress token of training job ns/job\n")
        else:
            self._reply(200, "application/json", json.dumps({"remainingSeconds": 900.0}))

    def _reply(self, code, ctype, text):
        data = text.encode()
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


class ReportEpochTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = http.server.HTTPServer(("127.0.0.1", 0), Recorder)
        threading.Thread(target=cls.server.serve_forever, daemon=True).start()
        cls.url = "http://127.0.0.1:%d/training/ns/job/progress" % cls.server.server_port

    @classmethod
    def tearDownClass(cls):
        cls.server.shutdown()
        cls.server.server_close()

    def setUp(self):
        Recorder.requests.clear()
        env = {voda_progress.URL_ENV: self.url, voda_progress.TOKEN_ENV: Recorder.token}
        patcher = mock.patch.dict(os.environ, env)
        patcher.start()
        self.addCleanup(patcher.stop)

    def test_posts_one_json_report_with_the_injected_token(self):
        reply = voda_progress.report_epoch(3, 4, 61.5, 0.125)
        self.assertEqual(reply, {"remainingSeconds": 900.0})
        (path, headers, body), = Recorder.requests
        self.assertEqual(path, "/training/ns/job/progress")
        self.assertEqual(headers["Authorization"], "Bearer t0ken")
        self.assertEqual(headers["Content-Type"], "application/json")
        self.assertEqual(json.loads(body),
                         {"epoch": 3, "workers": 4, "epochSeconds": 61.5, "stepSeconds": 0.125})

    def test_a_refused_report_does_not_stop_training_unless_asked(self):
        with mock.patch.dict(os.environ, {voda_progress.TOKEN_ENV: "another-jobs-token"}):
            with self.assertLogs("voda_progress", "WARNING") as logs:
                self.assertIsNone(voda_progress.report_epoch(1, 1, 10.0))
            self.assertIn("403", logs.output[0])
            with self.assertRaises(voda_progress.ReportError) as refused:
                voda_progress.report_epoch(1, 1, 10.0, raise_errors=True)
            self.assertEqual(refused.exception.status, 403)
            self.assertIn("not the progress token", refused.exception.message)

    def test_without_the_injected_variables_nothing_is_sent(self):
        with mock.patch.dict(os.environ, {}, clear=True):
            self.assertIsNone(voda_progress.report_epoch(1, 1, 10.0))
        self.assertEqual(Recorder.requests, [])

    def test_an_unreachable_manager_is_an_error_only_when_asked(self):
        dead = "http://127.0.0.1:9/training/ns/job/progress"
        with self.assertLogs("voda_progress", "WARNING"):
            self.assertIsNone(voda_progress.report_epoch(1, 1, 10.0, url=dead, timeout=2))
        with self.assertRaises(voda_progress.ReportError):
            voda_progress.report_epoch(1, 1, 10.0, url=dead, timeout=2, raise_errors=True)

    def test_old_csv_rows_are_sent_as_they_are(self):
        rows = "epoch,workers,epoch_time_sec,step_time_sec,start_time\n1,2,50,0.5,2022-10-19 04:57:00\n"
        voda_progress.report_csv(rows)
        (_, headers, body), = Recorder.requests
        self.assertEqual(headers["Content-Type"], "text/csv")
        self.assertEqual(body, rows)


if __name__ == "__main__":
    unittest.main()
