#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Unit tests of tools/check_metric_names.py, and of deploy/ against what gs-stats serves.

    python3 tests/unit/tools/check_metric_names_test.py    (ctest -L unit runs it)

- the PromQL reader finds metric names and nothing else (functions, labels,
  strings, keywords, durations, dashboard variables), and refuses broken
  expressions;
- the YAML reader reads what Prometheus rules use, as PyYAML does (compared
  when python3-yaml is installed), and refuses what it does not support;
- the command, on a fake scrape, dashboard and rules file: a complete set
  passes, a missing name fails and is printed with its file and panel or
  rule, histogram suffixes only for histograms, recording rules and up count;
- tests/unit/tools/gs_stats_metrics.txt declares exactly the families
  secondary/stats/export.c serves, and deploy/grafana/*.json and
  deploy/prometheus/gsnet.rules.yml name only those (or recording rules);
- the dashboard keeps its conventions: unique panel ids, every query on the
  ${datasource} variable, panels inside 24 columns and not overlapping.
"""

import glob
import json
import os
import re
import subprocess
import sys
import tempfile
import unittest

ROOT = os.environ.get("GS_SOURCE_DIR") or os.path.abspath(
    os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..")
)
TOOL = os.path.join(ROOT, "tools", "check_metric_names.py")
FIXTURE = os.path.join(ROOT, "tests", "unit", "tools", "gs_stats_metrics.txt")
DASHBOARDS = sorted(glob.glob(os.path.join(ROOT, "deploy", "grafana", "*.json")))
RULES = os.path.join(ROOT, "deploy", "prometheus", "gsnet.rules.yml")

sys.path.insert(0, os.path.dirname(TOOL))
import check_metric_names as cmn  # noqa: E402

try:
    import yaml
except ImportError:
    yaml = None


def names(expr):
    found, unchecked = cmn.promql_metric_names(expr)
    return found


class PromQL(unittest.TestCase):
    def test_names(self):
        cases = [
            ('gsnet_sessions{host=~"$host"}', ["gsnet_sessions"]),
            ('sum by (host) (rate(gsnet_rx_bytes_total{host=~"$host"}[$__rate_interval])) * 8',
             ["gsnet_rx_bytes_total"]),
            ("sum(rate(a_total[5m])) by (class) / on (host) group_left (x) max by (host) (b)",
             ["a_total", "b"]),
            ("sum without (lcore, instance) (rate(x_total[10s]))", ["x_total"]),
            ("SUM BY (le) (x) AND ON() y", ["x", "y"]),
            ("histogram_quantile(0.99, sum by (class, le) (rate(h_bucket[1m])))", ["h_bucket"]),
            ("gsnet:drops:rate10s{reason=~\"ring_full|handler_down\"} > 0", ["gsnet:drops:rate10s"]),
            ("a > bool 1e-3 unless b offset -5m or c @ start() and d[5m:1m] + Inf - NaN + 0x1f",
             ["a", "b", "c", "d"]),
            ('label_replace(x, "dst", "$1", "src", "(not_a_metric.*)") + count_values("le", y)',
             ["x", "y"]),
            ('{__name__="named_total", job="gsnet"} + named_total', ["named_total"]),
            ("topk(5, x) # trailing comment with a_name\n + absent(up{job='gsnet'})", ["x", "up"]),
            ("vector(1) + time() + scalar(z)", ["z"]),
            ("x == bool 0", ["x"]),
        ]
        for expr, want in cases:
            with self.subTest(expr=expr):
                self.assertEqual(names(expr), want)

    def test_unchecked(self):
        found, unchecked = cmn.promql_metric_names(
            'gsnet_${kind}_total + [[old]]_x + {__name__=~"gsnet_.*"} + topk($n, q)')
        self.assertEqual(found, ["q"])
        self.assertEqual([u[0] for u in unchecked],
                         ["gsnet_${kind}_total", "[[old]]_x", "__name__=~'gsnet_.*'"])

    def test_broken(self):
        for expr in ["rate(x[5m]", "x)", 'x{a="b}', "x{a=b}", "x{a}", "rate(x[5m)", "x}"]:
            with self.subTest(expr=expr):
                with self.assertRaises(cmn.PromQLError):
                    cmn.promql_metric_names(expr)

    def test_variable_queries(self):
        self.assertEqual(cmn.variable_query_promql("label_values(gsnet_primary_info, host)"),
                         "gsnet_primary_info")
        self.assertEqual(cmn.variable_query_promql('label_values(x{a="b,c"}, host)'), 'x{a="b,c"}')
        self.assertIsNone(cmn.variable_query_promql("label_values(host)"))
        self.assertIsNone(cmn.variable_query_promql("metrics(gsnet_.*)"))
        self.assertIsNone(cmn.variable_query_promql("label_names()"))
        self.assertEqual(cmn.variable_query_promql("query_result(topk(3, y))"), "topk(3, y)")


TRICKY_YAML = """\
# comment
---
groups:
- name: "quoted: name"   # comment
  rules:
    - record: 'it''s:a:record'
      expr: >-
        sum without (instance)
          (rate(a_total[1m]))

        / 2
    - alert: Literal
      expr: |
        up == 0
        # a PromQL comment

      for: 5m
      labels: {severity: "warn", team: ops}
      annotations:
        summary: "multi
          line \\"quoted\\"

          text\\
           joined"
        description: plain text
          continued here
        list: [a, "b, c", 'd']
    -   alert: Indented
        expr: x > 1 # trailing comment
        keep: |+
          kept

        folded: >
          one
          two
            more indented
          three

        empty:
-
  name: second
  rules: []
...
"""


class YAMLReader(unittest.TestCase):
    def test_tricky(self):
        doc = cmn.load_yaml(TRICKY_YAML, "tricky.yml")
        g = doc["groups"][0]
        self.assertEqual(g["name"], "quoted: name")
        r0, r1, r2 = g["rules"]
        self.assertEqual(r0["record"], "it's:a:record")
        self.assertEqual(r0["expr"], "sum without (instance)\n  (rate(a_total[1m]))\n\n/ 2")
        self.assertEqual(r0["expr"].line, 7)
        self.assertEqual(r1["expr"], "up == 0\n# a PromQL comment\n")
        self.assertEqual(r1["for"], "5m")
        self.assertEqual(r1["labels"], {"severity": "warn", "team": "ops"})
        self.assertEqual(r1["annotations"]["summary"], 'multi line "quoted"\ntextjoined')
        self.assertEqual(r1["annotations"]["description"], "plain text continued here")
        self.assertEqual(r1["annotations"]["list"], ["a", "b, c", "d"])
        self.assertEqual(r2["expr"], "x > 1")
        self.assertEqual(r2["keep"], "kept\n\n")
        self.assertEqual(r2["folded"], "one two\n  more indented\nthree\n")
        self.assertIsNone(r2["empty"])
        self.assertEqual(doc["groups"][1], {"name": "second", "rules": []})

    def test_refused(self):
        for text in ["a: 1\n---\nb: 2\n", "a: &x 1\nb: *x\n", "a: !!str 1\n", "a:\n\t- b\n",
                     'a: "x\n', "a: 1\n  b: 2\n", "a: 1\na: 2\n", "- a\nb: 1\n", "a: [1, 2\n"]:
            with self.subTest(text=text):
                with self.assertRaises(cmn.YAMLError):
                    cmn.load_yaml(text)

    def assert_same(self, ours, theirs, path="$"):
        """ours (strings) is what PyYAML read (typed scalars: compared by PyYAML's reading of ours)."""
        if isinstance(theirs, dict):
            self.assertIsInstance(ours, dict, path)
            self.assertEqual(list(ours), [str(k) for k in theirs], path)
            for k, v in theirs.items():
                self.assert_same(ours[str(k)], v, "%s.%s" % (path, k))
        elif isinstance(theirs, list):
            self.assertIsInstance(ours, list, path)
            self.assertEqual(len(ours), len(theirs), path)
            for i, (a, b) in enumerate(zip(ours, theirs)):
                self.assert_same(a, b, "%s[%d]" % (path, i))
        elif isinstance(theirs, str):
            self.assertEqual(ours, theirs, path)
        elif theirs is None:
            self.assertIn(ours, (None, "~", "null"), path)
        else:
            self.assertEqual(yaml.safe_load(ours), theirs, path)

    @unittest.skipIf(yaml is None, "python3-yaml is not installed")
    def test_as_pyyaml(self):
        texts = [("tricky", TRICKY_YAML)]
        for f in sorted(glob.glob(os.path.join(ROOT, "deploy", "prometheus", "*.yml"))):
            with open(f, encoding="utf-8") as fh:
                texts.append((f, fh.read()))
        for name, text in texts:
            with self.subTest(file=name):
                self.assert_same(cmn.load_yaml(text, name), yaml.safe_load(text))


FAKE_SCRAPE = """\
# HELP gsnet_rx_packets_total Frames received.
# TYPE gsnet_rx_packets_total counter
gsnet_rx_packets_total{lcore="0"} 10
# HELP gsnet_sessions Sessions.
# TYPE gsnet_sessions gauge
gsnet_sessions 3
# HELP gsnet_residence_seconds Time inside.
# TYPE gsnet_residence_seconds histogram
gsnet_residence_seconds_bucket{class="move",le="0.001"} 1
gsnet_residence_seconds_bucket{class="move",le="+Inf"} 2
gsnet_residence_seconds_sum{class="move"} 0.003
gsnet_residence_seconds_count{class="move"} 2
# HELP gsnet_scrape_seconds A summary.
# TYPE gsnet_scrape_seconds summary
gsnet_scrape_seconds{quantile="0.5"} 0.001
gsnet_scrape_seconds_sum 0.1
gsnet_scrape_seconds_count 100
# HELP gsnet_port_rx_packets_total Declared, no port yet.
# TYPE gsnet_port_rx_packets_total counter
gsnet_untyped_thing 1
"""

FAKE_RULES = """\
groups:
  - name: fake.recording
    rules:
      - record: gsnet:rx_packets:rate10s
        expr: sum without (lcore) (rate(gsnet_rx_packets_total[10s]))
      - record: gsnet:residence_seconds:p99_rate1m
        expr: >-
          histogram_quantile(0.99,
            sum without (instance) (rate(gsnet_residence_seconds_bucket[1m])))
  - name: fake.alerts
    rules:
      - alert: FakeDown
        expr: up{job="gsnet"} == 0
        for: 10s
      - alert: FakeSlow
        expr: gsnet:residence_seconds:p99_rate1m > 0.005
        for: 5m
        annotations:
          summary: "p99 {{ $value | humanizeDuration }}"
"""


def fake_dashboard(extra_targets=()):
    ds = {"type": "prometheus", "uid": "${datasource}"}
    targets = [
        {"refId": "A", "datasource": ds, "expr": 'sum(rate(gsnet_rx_packets_total{host=~"$host"}[$__rate_interval]))'},
        {"refId": "B", "datasource": ds, "expr": "gsnet:rx_packets:rate10s"},
    ] + list(extra_targets)
    return {
        "uid": "fake",
        "templating": {"list": [
            {"name": "datasource", "type": "datasource", "query": "prometheus"},
            {"name": "host", "type": "query", "datasource": ds,
             "query": {"query": "label_values(gsnet_sessions, host)", "refId": "V"}},
            {"name": "pool", "type": "custom", "query": "a,b"},
        ]},
        "annotations": {"list": [{"name": "Restarts", "datasource": ds,
                                  "expr": "changes(gsnet_sessions[1m]) > 0"}]},
        "panels": [
            {"id": 1, "type": "row", "title": "Row", "collapsed": True, "panels": [
                {"id": 2, "type": "timeseries", "title": "Traffic", "datasource": ds, "targets": targets},
            ]},
            {"id": 3, "type": "timeseries", "title": "Residence", "datasource": ds, "targets": [
                {"refId": "A", "expr": "histogram_quantile(0.5, sum by (le) (rate(gsnet_residence_seconds_bucket[1m])))"},
                {"refId": "B", "expr": "rate(gsnet_residence_seconds_sum[1m]) / rate(gsnet_residence_seconds_count[1m])"},
                {"refId": "C", "expr": "gsnet_scrape_seconds + gsnet_scrape_seconds_sum + gsnet_untyped_thing"},
                {"refId": "D", "expr": "rate(gsnet_port_rx_packets_total[1m])"},
                {"refId": "E", "expr": "", "hide": True},
            ]},
            {"id": 4, "type": "logs", "title": "Logs", "datasource": {"type": "loki", "uid": "x"},
             "targets": [{"refId": "A", "expr": '{app="gsnet"} |= "error"'}]},
        ],
    }


class Command(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.dir = self.tmp.name
        self.scrape = self.write("metrics.txt", FAKE_SCRAPE)
        self.rules = self.write("fake.rules.yml", FAKE_RULES)

    def tearDown(self):
        self.tmp.cleanup()

    def write(self, name, text):
        path = os.path.join(self.dir, name)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text if isinstance(text, str) else json.dumps(text, indent=2))
        return path

    def run_tool(self, *args):
        p = subprocess.run([sys.executable, TOOL, "--scrape", self.scrape] + list(args),
                           capture_output=True, text=True, timeout=60)
        return p.returncode, p.stdout + p.stderr

    def test_complete_passes(self):
        dash = self.write("dash.json", fake_dashboard())
        rc, out = self.run_tool(dash, self.rules)
        self.assertEqual(rc, 0, out)
        self.assertRegex(out, r"ok: 12 metric names in 12 queries of 2 files")

    def test_directories(self):
        os.mkdir(os.path.join(self.dir, "d"))
        self.write("d/dash.json", fake_dashboard())
        self.write("d/fake.rules.yml", FAKE_RULES)
        self.write("d/prometheus.yml", "global:\n  scrape_interval: 1s\nrule_files:\n  - fake.rules.yml\n")
        self.write("d/fake.rules.test.yml", "rule_files:\n  - fake.rules.yml\ntests: []\n")
        rc, out = self.run_tool(os.path.join(self.dir, "d"))
        self.assertEqual(rc, 0, out)
        self.assertIn("of 2 files", out)

    def test_missing_in_dashboard(self):
        dash = self.write("dash.json", fake_dashboard([
            {"refId": "C", "expr": 'rate(gsnet_rx_packts_total{host=~"$host"}[1m])'}]))
        rc, out = self.run_tool(dash, self.rules)
        self.assertEqual(rc, 1, out)
        self.assertIn("dash.json: panel 'Traffic' (id 2) target C: gsnet_rx_packts_total is not in the scrape"
                      " and no recording rule makes it; did you mean gsnet_rx_packets_total?", out)
        self.assertIn("1 problem in 13 queries", out)

    def test_missing_in_rules(self):
        rules = self.write("bad.rules.yml", FAKE_RULES.replace(
            'up{job="gsnet"} == 0', 'up{job="gsnet"} == 0 or absent(gsnet_gone_total)'))
        dash = self.write("dash.json", fake_dashboard())
        rc, out = self.run_tool(dash, rules)
        self.assertEqual(rc, 1, out)
        self.assertIn("bad.rules.yml:13: alert FakeDown (group fake.alerts): gsnet_gone_total is not in the scrape",
                      out)

    def test_missing_recording_rule(self):
        dash = self.write("dash.json", fake_dashboard([{"refId": "C", "expr": "gsnet:tx_packets:rate10s"}]))
        rc, out = self.run_tool(dash, self.rules)
        self.assertEqual(rc, 1, out)
        self.assertIn("target C: gsnet:tx_packets:rate10s is not in the scrape", out)
        # without the rules file the dashboard's recording rule is missing too
        rc, out = self.run_tool(self.write("dash2.json", fake_dashboard()))
        self.assertEqual(rc, 1, out)
        self.assertIn("target B: gsnet:rx_packets:rate10s is not in the scrape", out)

    def test_histogram_suffixes(self):
        dash = self.write("dash.json", fake_dashboard([
            {"refId": "C", "expr": "gsnet_residence_seconds"},
            {"refId": "D", "expr": "gsnet_sessions_count + gsnet_rx_packets_total_bucket"},
            {"refId": "E", "expr": "gsnet_scrape_seconds_bucket"},
        ]))
        rc, out = self.run_tool(dash, self.rules)
        self.assertEqual(rc, 1, out)
        self.assertIn("target C: gsnet_residence_seconds is not in the scrape and no recording rule makes it;"
                      " a histogram has only gsnet_residence_seconds_bucket, _sum and _count", out)
        self.assertIn("target D: gsnet_sessions_count is not in the scrape and no recording rule makes it;"
                      " gsnet_sessions is a gauge, not a histogram", out)
        self.assertIn("target D: gsnet_rx_packets_total_bucket is not", out)
        self.assertIn("target E: gsnet_scrape_seconds_bucket is not in the scrape and no recording rule"
                      " makes it; gsnet_scrape_seconds is a summary, not a histogram", out)
        self.assertIn("4 problems", out)

    def test_variable_and_annotation(self):
        d = fake_dashboard()
        d["templating"]["list"][1]["query"]["query"] = "label_values(gsnet_sesions, host)"
        d["annotations"]["list"][0]["expr"] = "changes(gsnet_restarts_total[1m]) > 0"
        rc, out = self.run_tool(self.write("dash.json", d), self.rules)
        self.assertEqual(rc, 1, out)
        self.assertIn("variable 'host': gsnet_sesions is not in the scrape", out)
        self.assertIn("annotation 'Restarts': gsnet_restarts_total is not in the scrape", out)

    def test_allow(self):
        dash = self.write("dash.json", fake_dashboard([{"refId": "C", "expr": "node_load1"}]))
        rc, out = self.run_tool(dash, self.rules)
        self.assertEqual(rc, 1, out)
        rc, out = self.run_tool("--allow", "node_load1", dash, self.rules)
        self.assertEqual(rc, 0, out)

    def test_unreadable_expression(self):
        dash = self.write("dash.json", fake_dashboard([{"refId": "C", "expr": "rate(gsnet_sessions[1m]"}]))
        rc, out = self.run_tool(dash, self.rules)
        self.assertEqual(rc, 1, out)
        self.assertIn("target C: cannot read the expression (unbalanced ( at offset 4)", out)

    def test_bad_input(self):
        dash = self.write("dash.json", fake_dashboard())
        bad_yaml = self.write("bad.yml", "groups:\n  - name: x\n    rules:\n      - alert: &a A\n")
        rc, out = self.run_tool(dash, bad_yaml)
        self.assertEqual(rc, 2, out)
        self.assertIn("bad.yml:4: anchors", out)
        rc, out = self.run_tool(dash, self.write("notrules.yml", "rule_files: []\n"))
        self.assertEqual(rc, 2, out)
        self.assertIn("not a Prometheus rules file", out)
        rc, out = self.run_tool(self.write("broken.json", "{"), self.rules)
        self.assertEqual(rc, 2, out)
        self.scrape = self.write("empty.txt", "# nothing\n")
        rc, out = self.run_tool(dash, self.rules)
        self.assertEqual(rc, 2, out)
        self.assertIn("no metrics in the scrape", out)


def export_c_families():
    """gsnet_* families secondary/stats/export.c declares, read from its source."""
    with open(os.path.join(ROOT, "secondary", "stats", "export.c"), encoding="utf-8") as f:
        src = f.read()
    found = re.findall(r'\b(?:family\(f|lcore_counter\(f, s|port_counter\(f, s),\s*"([a-z0-9_]+)"', src)
    # the lcore and handler counters: gsnet_NAME_total for each of GS_FOREACH_LCORE_COUNTER
    # and gsnet_handler_NAME_total for each of GS_FOREACH_HANDLER_COUNTER, when export.c
    # makes them from those lists
    with open(os.path.join(ROOT, "shared", "include", "gs_shm_types.h"), encoding="utf-8") as f:
        hdr = f.read()
    for macro, use, prefix in [("GS_FOREACH_LCORE_COUNTER", "LCORE_COUNTER", ""),
                               ("GS_FOREACH_HANDLER_COUNTER", "HANDLER_COUNTER", "handler_")]:
        if "%s(%s)" % (macro, use) in src:
            block = hdr[hdr.index("#define " + macro):]
            block = block[:block.index("\n\n")]
            found += [prefix + n + "_total" for n in re.findall(r'_\(([a-z0-9_]+),', block)]
    return {"gsnet_" + n for n in found}


class Deploy(unittest.TestCase):
    def test_fixture_is_export_c(self):
        served = export_c_families()
        self.assertGreater(len(served), 40)  # the regex still finds export.c's calls
        for n in ["gsnet_residence_seconds", "gsnet_wakeups_total", "gsnet_sleeps_total",
                  "gsnet_challenges_total", "gsnet_handler_busy_cycles_total", "gsnet_port_rx_nombuf_total"]:
            self.assertIn(n, served)
        _, types = cmn.read_scrape(FIXTURE)
        self.assertEqual(set(types), served)
        self.assertEqual(types["gsnet_residence_seconds"], "histogram")

    def test_deploy_names_are_served(self):
        self.assertTrue(DASHBOARDS)
        p = subprocess.run([sys.executable, TOOL, "--scrape", FIXTURE] + DASHBOARDS + [RULES],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)

    def test_dashboard_conventions(self):
        for path in DASHBOARDS:
            with open(path, encoding="utf-8") as f:
                d = json.load(f)
            panels = []
            for p in d["panels"]:
                panels.append(p)
                panels += p.get("panels") or []  # a collapsed row's
            ids = [p["id"] for p in panels]
            self.assertEqual(len(ids), len(set(ids)), "%s: duplicate panel ids" % path)
            occupied = {}
            for p in panels:
                where = "%s: panel %r (id %s)" % (path, p.get("title"), p["id"])
                if p["type"] != "row":
                    self.assertEqual(p.get("datasource"), {"type": "prometheus", "uid": "${datasource}"}, where)
                    self.assertTrue(p.get("targets"), where)
                    for t in p["targets"]:
                        self.assertEqual(t.get("datasource"), p["datasource"], where)
                        self.assertTrue(t.get("expr"), where)
                    refs = [t["refId"] for t in p["targets"]]
                    self.assertEqual(len(refs), len(set(refs)), where)
                g = p["gridPos"]
                self.assertTrue(g["w"] > 0 and g["h"] > 0 and g["x"] >= 0 and g["y"] >= 0, where)
                self.assertLessEqual(g["x"] + g["w"], 24, where)
                if not any(p is q for q in d["panels"]):
                    continue  # a collapsed row's panels are placed as if it were open
                for x in range(g["x"], g["x"] + g["w"]):
                    for y in range(g["y"], g["y"] + g["h"]):
                        if (x, y) in occupied:
                            self.fail("%s overlaps %s" % (where, occupied[(x, y)]))
                        occupied[(x, y)] = where
            for v in d["templating"]["list"]:
                if v["type"] == "query":
                    self.assertEqual(v["datasource"], {"type": "prometheus", "uid": "${datasource}"})


if __name__ == "__main__":
    unittest.main(verbosity=2)
