#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Check that Grafana dashboards and Prometheus rules name metrics gs-stats serves.

    tools/check_metric_names.py --scrape FILE [--allow NAME]... [-v] PATH...

FILE is a Prometheus text scrape (curl http://127.0.0.1:9477/metrics > FILE).
Each PATH is a Grafana dashboard (*.json), a Prometheus rules file (*.yml,
*.yaml with a top-level "groups:") or a directory holding such files (other
YAML files there, such as prometheus.yml or promtool test files, are skipped).

Every PromQL expression is read: the panels' targets[].expr, the query
variables' queries (label_values(METRIC, label), query_result(QUERY)),
annotation queries and the rules' expr. Each metric name it selects must be
  - a sample name in the scrape or a family the scrape declares (# TYPE), where
    a histogram family NAME gives NAME_bucket, NAME_sum and NAME_count (not
    NAME itself) and a summary NAME, NAME_sum and NAME_count;
  - or the output of a recording rule (record:) in the rules files given;
  - or a series Prometheus makes itself (up, scrape_duration_seconds, ...,
    ALERTS, ALERTS_FOR_STATE), or a name given with --allow.
A name built from a dashboard variable (gsnet_${kind}_total) or a __name__
pattern cannot be checked: it is printed, not counted as missing.
Each missing name is printed with where it is used; the exit status is 1 if
any is missing or an expression cannot be read, 2 for unusable input (a file
that does not parse, an empty scrape), 0 otherwise.

Standard library only: the rules are read with the small YAML reader below
(block mappings and sequences, plain, quoted and block scalars, flow
collections; no anchors, aliases, tags or multiple documents, which it
refuses rather than misreads).
"""

import argparse
import difflib
import json
import os
import re
import sys

# Series Prometheus writes for every target and for alerting rules: never in a scrape.
PROMETHEUS_SERIES = frozenset(
    {
        "up",
        "scrape_duration_seconds",
        "scrape_samples_scraped",
        "scrape_samples_post_metric_relabeling",
        "scrape_series_added",
        "ALERTS",
        "ALERTS_FOR_STATE",
    }
)

HISTOGRAM_SUFFIXES = ("_bucket", "_sum", "_count")
SUMMARY_SUFFIXES = ("_sum", "_count")


class InputError(Exception):
    """A file that cannot be used: exit status 2."""


# --- PromQL -------------------------------------------------------------------------------


class PromQLError(Exception):
    pass


AGGREGATORS = frozenset(
    {
        "sum", "min", "max", "avg", "group", "stddev", "stdvar", "count", "count_values",
        "bottomk", "topk", "quantile", "limitk", "limit_ratio",
    }
)
# followed by "(label, ...)": a list of label names, not an expression
LABEL_LIST_KEYWORDS = frozenset({"by", "without", "on", "ignoring", "group_left", "group_right"})
KEYWORDS = frozenset({"and", "or", "unless", "bool", "offset", "atan2"}) | LABEL_LIST_KEYWORDS
NUMBER_WORDS = frozenset({"inf", "nan"})

_IDENT = re.compile(r"[A-Za-z_:][A-Za-z0-9_:]*")
_LABEL = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_NUMBER = re.compile(r"(?:0[xX][0-9a-fA-F]+|(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)[A-Za-z0-9_]*")
_VARIABLE = re.compile(r"\$(?:\{[^}]*\}|[A-Za-z0-9_]+)|\[\[[^\]]*\]\]")
_MATCH_OP = re.compile(r"=~|!~|!=|=")


def _skip_string(s, i):
    """Index just past the string literal that starts at s[i]."""
    q = s[i]
    j = i + 1
    while j < len(s):
        if s[j] == "\\" and q != "`":
            j += 2
            continue
        if s[j] == q:
            return j + 1
        j += 1
    raise PromQLError("unterminated string at offset %d" % i)


def _string_value(lit):
    """The value of a PromQL string literal (enough for a metric name)."""
    if lit[0] == "`":
        return lit[1:-1]
    return re.sub(r"\\(.)", r"\1", lit[1:-1])


def _skip_space(s, i):
    while i < len(s):
        if s[i].isspace():
            i += 1
        elif s[i] == "#":
            while i < len(s) and s[i] != "\n":
                i += 1
        else:
            break
    return i


def _skip_variable(s, i):
    m = _VARIABLE.match(s, i)
    if not m:
        raise PromQLError("stray %r at offset %d" % (s[i], i))
    return m.end()


def _matchers(s, i):
    """Read {label op "value", ...} at s[i]; return (end, (op, value) of __name__ or None)."""
    name = None
    i += 1
    while True:
        i = _skip_space(s, i)
        if i >= len(s):
            raise PromQLError("unterminated {")
        if s[i] == "}":
            return i + 1, name
        m = _LABEL.match(s, i)
        if not m:
            raise PromQLError("expected a label name at offset %d" % i)
        label = m.group(0)
        i = _skip_space(s, m.end())
        op = _MATCH_OP.match(s, i)
        if not op:
            raise PromQLError("expected =, !=, =~ or !~ at offset %d" % i)
        i = _skip_space(s, op.end())
        if i >= len(s) or s[i] not in "\"'`":
            raise PromQLError("expected a string at offset %d" % i)
        j = _skip_string(s, i)
        if label == "__name__":
            name = (op.group(0), _string_value(s[i:j]))
        i = _skip_space(s, j)
        if i < len(s) and s[i] == ",":
            i += 1
        elif i < len(s) and s[i] != "}":
            raise PromQLError("expected , or } at offset %d" % i)


def _label_list(s, i):
    """Skip (label, ...) at s[i] (after by, without, on, ...); return its end."""
    i += 1
    while True:
        i = _skip_space(s, i)
        if i >= len(s):
            raise PromQLError("unterminated label list")
        if s[i] == ")":
            return i + 1
        m = _LABEL.match(s, i)
        if not m:
            raise PromQLError("expected a label name at offset %d" % i)
        i = _skip_space(s, m.end())
        if i < len(s) and s[i] == ",":
            i += 1
        elif i < len(s) and s[i] != ")":
            raise PromQLError("expected , or ) at offset %d" % i)


def promql_metric_names(expr):
    """Metric names an expression selects, in order of first use.

    Returns (names, unchecked): unchecked lists (text, why) of what names
    metrics but cannot be checked: names built from dashboard variables
    (gsnet_${x}_total), __name__ patterns. Raises PromQLError
    for an expression that cannot be read (unbalanced brackets, unterminated
    strings, bad label matchers).
    """
    names, unchecked = [], []
    stack = []
    i, n = 0, len(expr)
    while i < n:
        c = expr[i]
        if c.isspace() or c == "#":
            i = _skip_space(expr, i)
        elif c in "\"'`":
            i = _skip_string(expr, i)
        elif c == "[" and not expr.startswith("[[", i):
            # a range or a subquery: durations and dashboard variables only
            j = expr.find("]", i)
            if j < 0:
                raise PromQLError("unterminated [ at offset %d" % i)
            i = j + 1
        elif c == "{":
            i, name = _matchers(expr, i)
            if name and name[0] == "=":
                if name[1] not in names:
                    names.append(name[1])
            elif name:
                unchecked.append(("__name__%s%r" % name, "a pattern, not a name"))
        elif c == "(":
            stack.append(i)
            i += 1
        elif c == ")":
            if not stack:
                raise PromQLError("unbalanced ) at offset %d" % i)
            stack.pop()
            i += 1
        elif c in "]}":
            raise PromQLError("unbalanced %s at offset %d" % (c, i))
        elif c.isdigit() or (c == "." and i + 1 < n and expr[i + 1].isdigit()):
            i = _NUMBER.match(expr, i).end()
        elif c == "$" or expr.startswith("[[", i) or _IDENT.match(expr, i):
            # a word: an identifier, a dashboard variable, or both glued together
            j, has_var = i, False
            while j < n:
                if expr[j] == "$" or expr.startswith("[[", j):
                    has_var, j = True, _skip_variable(expr, j)
                elif expr[j].isalnum() or expr[j] in "_:":
                    j += 1
                else:
                    break
            word = expr[i:j]
            k = _skip_space(expr, j)
            nxt = expr[k] if k < n else ""
            i = j
            if has_var:
                if _VARIABLE.sub("", word) and nxt != "(":
                    unchecked.append((word, "built from a dashboard variable"))
                continue
            low = word.lower()
            if low in LABEL_LIST_KEYWORDS:
                if nxt == "(":
                    i = _label_list(expr, k)
            elif low in KEYWORDS or low in NUMBER_WORDS:
                pass
            elif nxt == "(":
                pass  # a function or an aggregation
            elif low in AGGREGATORS and re.match(r"(?i)(by|without)\b", expr[k:]):
                pass  # sum by (x) (...)
            elif word not in names:
                names.append(word)
        else:
            i += 1  # an operator, a comma, @
    if stack:
        raise PromQLError("unbalanced ( at offset %d" % stack[-1])
    return names, unchecked


def _split_args(s):
    """Split s at its top-level commas (outside brackets and strings)."""
    args, depth, start, i = [], 0, 0, 0
    while i < len(s):
        c = s[i]
        if c in "\"'`":
            i = _skip_string(s, i)
            continue
        if c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
        elif c == "," and depth == 0:
            args.append(s[start:i])
            start = i + 1
        i += 1
    args.append(s[start:])
    return [a.strip() for a in args]


def variable_query_promql(q):
    """The PromQL inside a Grafana Prometheus variable query, or None when it has none."""
    m = re.fullmatch(r"\s*label_values\s*\((.*)\)\s*", q, re.S)
    if m:
        try:
            args = _split_args(m.group(1))
        except PromQLError:
            return q  # reported when read as PromQL
        return ",".join(args[:-1]) if len(args) > 1 else None  # label_values(label): no metric
    m = re.fullmatch(r"\s*query_result\s*\((.*)\)\s*", q, re.S)
    if m:
        return m.group(1)
    if re.fullmatch(r"\s*(metrics|label_names)\s*\(.*\)\s*", q, re.S):
        return None  # a regex over names, or label names: nothing to check
    return q


# --- Grafana ------------------------------------------------------------------------------


def _is_prometheus(ds):
    """False for a datasource reference that names another kind (Loki, TestData ...)."""
    return not (isinstance(ds, dict) and ds.get("type") not in (None, "prometheus"))


def dashboard_queries(doc):
    """(PromQL, where, 0) of every query of a dashboard (the JSON model, or the API's wrapper)."""
    if isinstance(doc, dict) and "dashboard" in doc and "panels" not in doc:
        doc = doc["dashboard"]
    if not isinstance(doc, dict):
        raise InputError("not a Grafana dashboard (no JSON object)")
    out = []

    def panels(ps):
        for p in ps or []:
            title = p.get("title") or "(untitled)"
            where = "panel %r (id %s)" % (title, p.get("id"))
            for t in p.get("targets") or []:
                expr = t.get("expr")
                if expr and _is_prometheus(t.get("datasource") or p.get("datasource")):
                    out.append((expr, "%s target %s" % (where, t.get("refId", "?")), 0))
            panels(p.get("panels"))

    panels(doc.get("panels"))
    for row in doc.get("rows") or []:  # schema before 16
        panels(row.get("panels"))
    for v in (doc.get("templating") or {}).get("list") or []:
        if v.get("type") != "query" or not _is_prometheus(v.get("datasource")):
            continue
        q = v.get("query")
        if isinstance(q, dict):
            q = q.get("query")
        q = q or v.get("definition")
        promql = variable_query_promql(q) if q else None
        if promql:
            out.append((promql, "variable %r" % v.get("name"), 0))
    for a in (doc.get("annotations") or {}).get("list") or []:
        expr = a.get("expr") or (a.get("target") or {}).get("expr")
        if expr and _is_prometheus(a.get("datasource")):
            out.append((expr, "annotation %r" % a.get("name"), 0))
    return out


# --- a small YAML reader --------------------------------------------------------------------


class YAMLError(InputError):
    pass


class YStr(str):
    """A scalar, with the line (1-based) it starts on."""

    line = 0


_ESCAPES = {
    "0": "\0", "a": "\a", "b": "\b", "t": "\t", "\t": "\t", "n": "\n", "v": "\v", "f": "\f",
    "r": "\r", "e": "\x1b", " ": " ", '"': '"', "/": "/", "\\": "\\", "N": "\x85",
    "_": "\xa0", "L": "\u2028", "P": "\u2029",
}


def _unescape_double(s, where):
    out, i = [], 0
    while i < len(s):
        c = s[i]
        if c != "\\":
            out.append(c)
            i += 1
            continue
        e = s[i + 1] if i + 1 < len(s) else ""
        if e in _ESCAPES:
            out.append(_ESCAPES[e])
            i += 2
        elif e in "xuU":
            width = {"x": 2, "u": 4, "U": 8}[e]
            try:
                out.append(chr(int(s[i + 2:i + 2 + width], 16)))
            except ValueError:
                raise YAMLError("%s: bad escape \\%s" % (where, e)) from None
            i += 2 + width
        else:
            raise YAMLError("%s: unknown escape \\%s" % (where, e))
    return "".join(out)


class _YAMLReader:
    def __init__(self, text, path):
        self.lines = text.replace("\r\n", "\n").split("\n")
        self.path = path
        self.i = 0

    def err(self, msg, line=None):
        return YAMLError("%s:%d: %s" % (self.path, (self.i if line is None else line) + 1, msg))

    def content(self, i):
        """(indent, text) of line i, or None for a blank or comment-only line."""
        line = self.lines[i]
        s = line.lstrip(" ")
        if not s.strip() or s.lstrip(" \t").startswith("#"):
            return None
        if s[0] == "\t":
            raise self.err("tab in indentation", i)
        return len(line) - len(s), s.rstrip()

    def skip(self):
        """The next content line's (indent, text), or None at the end of the document."""
        while self.i < len(self.lines) and self.content(self.i) is None:
            self.i += 1
        if self.i >= len(self.lines) or self.marker(self.i):
            return None
        return self.content(self.i)

    def marker(self, i):
        """Line i is a document marker (---, ...)."""
        return re.match(r"(---|\.\.\.)(\s|$)", self.lines[i]) is not None

    def document(self):
        self.skip()
        if self.i < len(self.lines) and self.lines[self.i].startswith("---"):
            if self.lines[self.i][3:].strip() and not self.lines[self.i][3:].strip().startswith("#"):
                raise self.err("content after ---")
            self.i += 1
        node = self.node(0)
        if self.skip() is None and self.i < len(self.lines) and self.lines[self.i].startswith("..."):
            self.i += 1
        if self.skip() is not None or self.i < len(self.lines):
            if self.i < len(self.lines) and self.lines[self.i].startswith("---"):
                raise self.err("more than one document")
            raise self.err("unexpected %r" % self.lines[self.i].strip())
        return node

    def node(self, min_indent):
        cur = self.skip()
        if cur is None or cur[0] < min_indent:
            return None
        indent, t = cur
        if t == "-" or t.startswith("- "):
            return self.sequence(indent)
        if self.key(t) is not None:
            return self.mapping(indent)
        return self.value(t, min_indent - 1)

    def sequence(self, indent):
        items = []
        while True:
            cur = self.skip()
            if cur is None or cur[0] < indent:
                break
            if cur[0] > indent:
                raise self.err("bad indentation")
            t = cur[1]
            if not (t == "-" or t.startswith("- ")):
                break
            rest = t[1:].lstrip(" ")
            # the item's content, as if it stood alone at its own column
            self.lines[self.i] = " " * (len(self.lines[self.i]) - len(rest)) + rest if rest else ""
            items.append(self.node(indent + 1))
        return items

    def key(self, t):
        """(key, rest after the colon) if t starts a mapping entry, else None."""
        if t[0] in "\"'":
            j = self.close_quote(t, 0)
            if j is None:
                return None
            k = t[1:j - 1]
            k = _unescape_double(k, self.path) if t[0] == '"' else k.replace("''", "'")
            m = re.match(r"\s*:(\s|$)", t[j:])
            return (k, t[j + m.end():]) if m else None
        if t[0] in "[{&*!|>%@`?":
            return None
        m = re.search(r":(\s|$)", t)
        if not m or re.search(r"\s#", t[:m.start()]):
            return None
        return t[:m.start()].rstrip(), t[m.end():]

    def mapping(self, indent):
        m = {}
        while True:
            cur = self.skip()
            if cur is None or cur[0] < indent:
                break
            if cur[0] > indent:
                raise self.err("bad indentation")
            kv = self.key(cur[1])
            if kv is None:
                if cur[1] == "-" or cur[1].startswith("- "):
                    break
                raise self.err("expected 'key: value'")
            k, rest = kv
            if k in m:
                raise self.err("duplicate key %r" % k)
            rest = rest.strip()
            if not rest or rest.startswith("#"):
                self.i += 1
                nxt = self.skip()
                if nxt and nxt[0] > indent:
                    m[k] = self.node(indent + 1)
                elif nxt and nxt[0] == indent and (nxt[1] == "-" or nxt[1].startswith("- ")):
                    m[k] = self.sequence(indent)
                else:
                    m[k] = None
            else:
                m[k] = self.value(rest, indent)
        return m

    @staticmethod
    def close_quote(s, start):
        """Index just past the quote closing the one at s[start], or None."""
        q, j = s[start], start + 1
        while j < len(s):
            if q == '"' and s[j] == "\\":
                j += 2
                continue
            if s[j] == q:
                if q == "'" and s[j + 1:j + 2] == "'":
                    j += 2
                    continue
                return j + 1
            j += 1
        return None

    def value(self, t, parent):
        """The scalar or flow collection t (on line self.i, in a node indented by parent),
        continued on later lines if need be."""
        start = self.i
        if t[0] in "&*!%@`":
            raise self.err("anchors, aliases, tags and directives are not supported")
        if t[0] in "|>":
            s = self.block_scalar(t, parent)
        elif t[0] in "\"'":
            s = self.quoted(t)
        elif t[0] in "[{":
            return self.flow(t)
        else:
            s = self.plain(t, parent)
        s = YStr(s)
        s.line = start + 1
        return s

    def tail_ok(self, rest):
        if rest.strip() and not re.match(r"\s+#", rest):
            raise self.err("unexpected %r after a value" % rest.strip())

    def plain(self, t, parent):
        m = re.search(r"\s#", t)
        text = (t[:m.start()] if m else t).rstrip()
        pieces, empties = [text], 0
        j = self.i + 1
        last = self.i
        while j < len(self.lines):
            line = self.lines[j]
            if not line.strip():
                empties += 1
                j += 1
                continue
            s = line.lstrip(" ")
            if len(line) - len(s) <= parent or s.startswith("#"):
                break
            m = re.search(r"\s#", s)
            s = (s[:m.start()] if m else s).rstrip()
            if re.search(r":(\s|$)", s):
                raise self.err("a 'key:' inside a plain scalar", j)
            pieces.append("\n" * empties if empties else " ")
            pieces.append(s)
            empties, last = 0, j
            j += 1
        self.i = last + 1
        return "".join(pieces)

    def quoted(self, t):
        q = t[0]
        first = self.i
        text = t
        while True:
            j = self.close_quote(text, 0)
            if j is not None:
                break
            self.i += 1
            if self.i >= len(self.lines):
                raise self.err("unterminated quoted scalar", first)
            text += "\n" + self.lines[self.i]
        self.tail_ok(text[j:])
        self.i += 1
        body = text[1:j - 1]
        lines = body.split("\n")
        out = lines[0]
        empties = 0
        for k, line in enumerate(lines[1:], 1):
            escaped_break = q == '"' and re.search(r"(?<!\\)(\\\\)*\\$", out) is not None
            if k < len(lines) - 1 and not line.strip():
                empties += 1
                continue
            if escaped_break:
                out = out[:-1]
                sep = ""
            else:
                out = out.rstrip(" \t")
                sep = "\n" * empties if empties else " "
            out += sep + line.lstrip(" \t")
            empties = 0
        if q == '"':
            return _unescape_double(out, "%s:%d" % (self.path, first + 1))
        return out.replace("''", "'")

    def block_scalar(self, t, parent):
        m = re.match(r"([|>])([+-]?)([1-9]?)([+-]?)(\s+#.*)?$", t)
        if not m or (m.group(2) and m.group(4)):
            raise self.err("bad block scalar header %r" % t)
        style, chomp, explicit = m.group(1), m.group(2) or m.group(4), m.group(3)
        j = self.i + 1
        indent = parent + int(explicit) if explicit else None
        body = []
        while j < len(self.lines):
            line = self.lines[j]
            if not line.strip():
                body.append("")
                j += 1
                continue
            ind = len(line) - len(line.lstrip(" "))
            if indent is None:
                if ind <= parent:
                    break
                indent = ind
            if ind < indent:
                break
            body.append(line[indent:])
            j += 1
        trailing = 0
        while body and body[-1] == "":
            body.pop()
            trailing += 1
        self.i = j
        if style == "|":
            s = "\n".join(body)
        else:
            s, prev_plain, empties = "", None, 0
            for line in body:
                if line == "":
                    empties += 1
                    continue
                plain = not line[0].isspace()
                if prev_plain is None:
                    sep = "\n" * empties
                elif prev_plain and plain:
                    sep = "\n" * empties if empties else " "
                else:
                    sep = "\n" * (empties + 1)
                s += sep + line
                prev_plain, empties = plain, 0
        if not body:
            return "\n" * trailing if chomp == "+" else ""
        if chomp == "-":
            return s
        if chomp == "+":
            return s + "\n" * (1 + trailing)
        return s + "\n"

    def flow(self, t):
        first = self.i
        text, depth, j = t, 0, 0
        while True:
            while j < len(text):
                c = text[j]
                if c in "\"'":
                    k = self.close_quote(text, j)
                    if k is None:
                        break
                    j = k
                    continue
                if c == "#" and (j == 0 or text[j - 1].isspace()):
                    nl = text.find("\n", j)
                    text = text[:j] + (text[nl:] if nl >= 0 else "")
                    continue
                if c in "[{":
                    depth += 1
                elif c in "]}":
                    depth -= 1
                    if depth == 0:
                        break
                j += 1
            if depth == 0 and j < len(text):
                break
            self.i += 1
            if self.i >= len(self.lines):
                raise self.err("unterminated flow collection", first)
            text += "\n" + self.lines[self.i]
        self.tail_ok(text[j + 1:])
        self.i += 1
        try:
            node, _ = self.flow_node(text[:j + 1], 0, first)
        except IndexError:
            raise self.err("bad flow collection", first) from None
        return node

    def flow_node(self, s, i, line):
        while i < len(s) and s[i].isspace():
            i += 1
        if s[i] in "[{":
            close = "]" if s[i] == "[" else "}"
            items = [] if close == "]" else {}
            i += 1
            while True:
                while i < len(s) and (s[i].isspace() or s[i] == ","):
                    i += 1
                if s[i] == close:
                    return items, i + 1
                k, i = self.flow_node(s, i, line)
                while s[i].isspace():
                    i += 1
                if close == "}":
                    if s[i] != ":":
                        raise self.err("expected ':' in a flow mapping", line)
                    v, i = self.flow_node(s, i + 1, line)
                    items[k] = v
                else:
                    items.append(k)
        if s[i] in "\"'":
            j = self.close_quote(s, i)
            body = s[i + 1:j - 1]
            v = _unescape_double(body, self.path) if s[i] == '"' else body.replace("''", "'")
            return YStr(" ".join(v.split("\n"))), j
        m = re.match(r"(?:[^,\[\]{}:\s]|:(?=[^\s,\[\]{}])|\s+(?=[^\s,\[\]{}:]))*", s[i:])
        v = " ".join(m.group(0).split())
        return (YStr(v) if v else None), i + m.end()


def load_yaml(text, path="<yaml>"):
    """The one document in text, as dicts, lists and strings (YStr, with .line)."""
    return _YAMLReader(text, path).document()


# --- rules, scrape ------------------------------------------------------------------------


def rules_queries(doc, path):
    """(PromQL, where, line) of every rule, and the recording rules' outputs."""
    if not isinstance(doc, dict) or not isinstance(doc.get("groups"), list):
        raise InputError("%s: not a Prometheus rules file (no groups:)" % path)
    out, records = [], []
    for g in doc["groups"]:
        if not isinstance(g, dict) or not isinstance(g.get("rules") or [], list):
            raise InputError("%s: a group is not a mapping with a list of rules" % path)
        for r in g.get("rules") or []:
            if not isinstance(r, dict) or not isinstance(r.get("expr"), str):
                raise InputError("%s: group %s: a rule without expr" % (path, g.get("name")))
            if r.get("record"):
                what = "record %s" % r["record"]
                records.append(str(r["record"]))
            else:
                what = "alert %s" % r.get("alert")
            out.append((str(r["expr"]), "%s (group %s)" % (what, g.get("name")), getattr(r["expr"], "line", 0)))
    return out, records


def read_scrape(path):
    """Metric names a Prometheus text scrape serves, and its families' types."""
    samples, types = set(), {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.startswith("#"):
                parts = line.split(None, 3)
                if len(parts) >= 4 and parts[1] == "TYPE":
                    types[parts[2]] = parts[3].strip()
                elif len(parts) >= 3 and parts[1] == "HELP":
                    types.setdefault(parts[2], "untyped")
                continue
            m = _IDENT.match(line)
            if m:
                samples.add(m.group(0))
    known = set(samples)
    for name, kind in types.items():
        if kind == "histogram":
            known.update(name + s for s in HISTOGRAM_SUFFIXES)
        elif kind == "summary":
            known.update([name] + [name + s for s in SUMMARY_SUFFIXES])
        else:
            known.add(name)
    if not known:
        raise InputError("%s: no metrics in the scrape" % path)
    return known, types


def _hint(name, known, types):
    for suffix in HISTOGRAM_SUFFIXES:
        if name.endswith(suffix) and types.get(name[: -len(suffix)], "histogram") != "histogram":
            return "; %s is a %s, not a histogram" % (name[: -len(suffix)], types[name[: -len(suffix)]])
    if types.get(name) == "histogram":
        return "; a histogram has only %s_bucket, _sum and _count" % name
    close = difflib.get_close_matches(name, sorted(known), n=1, cutoff=0.8)
    return "; did you mean %s?" % close[0] if close else ""


def collect(paths):
    """Dashboards and rules files named by paths: [(file, [(expr, where, line)])], record names."""
    files = []
    for p in paths:
        if os.path.isdir(p):
            for f in sorted(os.listdir(p)):
                if f.endswith((".json", ".yml", ".yaml")):
                    files.append((os.path.join(p, f), False))
        else:
            files.append((p, True))
    queries, records = [], []
    for path, explicit in files:
        try:
            with open(path, encoding="utf-8") as f:
                text = f.read()
        except OSError as e:
            raise InputError("%s: %s" % (path, e.strerror)) from None
        if path.endswith(".json"):
            try:
                doc = json.loads(text)
            except ValueError as e:
                raise InputError("%s: not JSON: %s" % (path, e)) from None
            queries.append((path, dashboard_queries(doc)))
        elif path.endswith((".yml", ".yaml")):
            doc = load_yaml(text, path)
            if not explicit and not (isinstance(doc, dict) and "groups" in doc):
                continue  # prometheus.yml, promtool tests ...
            q, r = rules_queries(doc, path)
            queries.append((path, q))
            records += r
        else:
            raise InputError("%s: neither a dashboard (.json) nor rules (.yml, .yaml)" % path)
    return queries, records


def main(argv=None):
    ap = argparse.ArgumentParser(
        description="Check that the metric names in Grafana dashboards' and Prometheus rules' "
        "PromQL are served by a scrape or made by a recording rule."
    )
    ap.add_argument("--scrape", required=True, action="append", metavar="FILE",
                    help="Prometheus text scrape (repeat for several exporters)")
    ap.add_argument("--allow", action="append", default=[], metavar="NAME",
                    help="a metric name to accept without the scrape (repeatable)")
    ap.add_argument("-v", "--verbose", action="store_true", help="print every name and where it comes from")
    ap.add_argument("paths", nargs="+", metavar="PATH", help="dashboard .json, rules .yml, or a directory of them")
    args = ap.parse_args(argv)
    prog = "check_metric_names"
    try:
        known, types = set(), {}
        for s in args.scrape:
            k, t = read_scrape(s)
            known |= k
            types.update(t)
        queries, records = collect(args.paths)
    except (InputError, OSError) as e:
        print("%s: %s" % (prog, e), file=sys.stderr)
        return 2

    bad, n_queries, seen = 0, 0, {}
    for path, qs in queries:
        for expr, where, line in qs:
            n_queries += 1
            at = "%s:%d: %s" % (path, line, where) if line else "%s: %s" % (path, where)
            try:
                names, unchecked = promql_metric_names(expr)
            except PromQLError as e:
                print("%s: cannot read the expression (%s): %s" % (at, e, expr))
                bad += 1
                continue
            for word, why in unchecked:
                print("%s: %s not checked: %s" % (at, word, why))
            for name in names:
                if name in known:
                    src = "in the scrape"
                elif name in records:
                    src = "a recording rule"
                elif name in PROMETHEUS_SERIES:
                    src = "made by Prometheus"
                elif name in args.allow:
                    src = "--allow"
                else:
                    print("%s: %s is not in the scrape and no recording rule makes it%s"
                          % (at, name, _hint(name, known, types)))
                    bad += 1
                    continue
                seen.setdefault(name, src)
                if args.verbose:
                    print("%s: %s (%s)" % (at, name, src))
    if bad:
        print("%s: %d problem%s in %d queries" % (prog, bad, "" if bad == 1 else "s", n_queries))
        return 1
    print("%s: ok: %d metric names in %d queries of %d files" % (prog, len(seen), n_queries, len(queries)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
