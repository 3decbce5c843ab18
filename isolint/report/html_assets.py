"""The stylesheet and the filter script inlined into the HTML report (ASCII only).

The CSS draws each leak as a vertical flow: a numbered rail with one coloured node per step
(created, request enters, calls, stores, read back) and the code of each step beside it. The
script only filters: it shows the filter form (hidden without JavaScript, when the page
shows everything), reads ``#rule=ISO101&severity=error&path=api`` from the address, hides
the findings and groups the filters leave out, and opens a rule document when a link jumps to
it.
"""

from __future__ import annotations

PAGE_CSS = """\
:root {
  --bg: #f4f5f8; --card: #ffffff; --ink: #1c2230; --muted: #5d6678; --line: #dde1e8;
  --code-bg: #f7f8fa; --mark-bg: #fff4cc;
  --error: #c8283c; --error-bg: #fde8eb; --warning: #b86200; --warning-bg: #fff1dc;
  --creation: #2f6fdf; --entry: #7a45d6; --call: #6b7589; --reader: #0e8a7e;
  --mono: ui-monospace, "SFMono-Regular", "DejaVu Sans Mono", Menlo, Consolas, monospace;
}
* { box-sizing: border-box; }
[hidden] { display: none !important; }
html { scroll-padding-top: 4.5rem; }
body {
  margin: 0; background: var(--bg); color: var(--ink);
  font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif;
}
body > * { max-width: 1120px; margin-left: auto; margin-right: auto; }
code, pre { font-family: var(--mono); font-size: 13px; }
p code, li code, td code, summary code, h2 code {
  background: #eef0f4; border-radius: 4px; padding: 0 .3em; overflow-wrap: anywhere;
}
a { color: #2356b8; }
.top { padding: 1.6rem 1rem .4rem; }
.top h1 { margin: 0; font-size: 1.7rem; letter-spacing: -.01em; }
.logo {
  background: var(--ink); color: #fff; border-radius: 6px; padding: 0 .35em;
  font-family: var(--mono); font-size: .9em;
}
.meta { margin: .3rem 0 0; color: var(--muted); }
.summary { padding: .6rem 1rem 1rem; }
.summary.clean .verdict { font-size: 1.2rem; color: #137a3a; font-weight: 600; }
.tiles { display: grid; grid-template-columns: repeat(4, 1fr); gap: .8rem; }
.tile {
  background: var(--card); border: 1px solid var(--line); border-radius: 10px;
  padding: .7rem 1rem; border-top: 4px solid var(--call);
}
.tile .number { display: block; font-size: 1.9rem; font-weight: 700; line-height: 1.1; }
.tile .label { color: var(--muted); font-size: .85rem; text-transform: uppercase;
  letter-spacing: .05em; }
.tile-error { border-top-color: var(--error); }
.tile-error .number { color: var(--error); }
.tile-warning { border-top-color: var(--warning); }
.tile-warning .number { color: var(--warning); }
.tile-objects { border-top-color: var(--creation); }
.summary-columns { display: grid; grid-template-columns: 3fr 2fr; gap: .8rem; margin-top: .8rem; }
.card {
  background: var(--card); border: 1px solid var(--line); border-radius: 10px;
  padding: .6rem .9rem;
}
.card h2 {
  text-align: left; font-size: .8rem; text-transform: uppercase; letter-spacing: .05em;
  color: var(--muted); font-weight: 600; margin: 0 0 .3rem;
}
.by-rule { border-collapse: collapse; width: 100%; }
.by-rule th, .by-rule td { padding: .08rem .5rem; text-align: left; font-size: .9rem; }
.by-rule th { color: var(--muted); font-weight: 600; border-bottom: 1px solid var(--line); }
.by-rule .num { text-align: right; font-variant-numeric: tabular-nums; }
.by-rule .name { color: var(--muted); }
.group-index ol { list-style: none; margin: 0 0 .5rem; padding: 0; }
.group-index li { display: flex; justify-content: space-between; gap: .5rem;
  padding: .08rem 0; font-size: .9rem; }
.group-index li a { text-decoration: none; color: var(--ink); overflow-wrap: anywhere; }
.group-index li code { background: none; padding: 0; }
.group-index h2 + ol + h2 { margin-top: .6rem; }
.group-index .rule-chips { display: flex; flex-wrap: wrap; gap: .3rem; }
.group-index .rule-chips li { padding: 0; }
.group-index .rule-chips .chip { font-family: var(--mono); color: var(--ink); font-size: .8rem; }
.group-index .count { color: var(--muted); font-variant-numeric: tabular-nums; }
.dot { display: inline-block; width: .6em; height: .6em; border-radius: 50%;
  margin-right: .45em; vertical-align: .05em; }
.dot-error { background: var(--error); }
.dot-warning { background: var(--warning); }
.filters {
  position: sticky; top: 0; z-index: 5; display: flex; flex-wrap: wrap; gap: .8rem;
  align-items: center; padding: .55rem 1rem; background: rgba(244, 245, 248, .96);
  border-bottom: 1px solid var(--line); font-size: .9rem;
}
.filters label { color: var(--muted); }
.filters select, .filters input, .filters button {
  font: inherit; padding: .2rem .4rem; border: 1px solid #c5cad4; border-radius: 6px;
  background: #fff; color: var(--ink);
}
.filters output { margin-left: auto; color: var(--muted); }
.group { padding: .4rem 1rem 1rem; }
.group-head { display: flex; flex-wrap: wrap; align-items: baseline; gap: .2rem .8rem;
  margin: 1.2rem 0 .6rem; padding-bottom: .4rem; border-bottom: 2px solid var(--line); }
.group-head h2 { margin: 0; font-size: 1.25rem; }
.group-head h2 code { font-size: 1.05rem; background: #e6ecf8; color: #183e8c;
  padding: .1em .45em; }
.group-sub { margin: 0; color: var(--muted); font-size: .9rem; }
.chips { margin: 0 0 0 auto; display: flex; gap: .35rem; }
.chip { font-size: .78rem; border-radius: 999px; padding: .05rem .6rem; white-space: nowrap;
  border: 1px solid var(--line); background: var(--card); color: var(--muted);
  text-decoration: none; }
.chip-error { color: var(--error); background: var(--error-bg); border-color: transparent; }
.chip-warning { color: var(--warning); background: var(--warning-bg);
  border-color: transparent; }
.chip-code { font-family: var(--mono); color: var(--ink); }
.finding {
  background: var(--card); border: 1px solid var(--line); border-radius: 10px;
  border-left: 5px solid var(--warning); padding: .75rem 1rem .8rem; margin: .8rem 0;
  box-shadow: 0 1px 2px rgba(20, 30, 50, .05);
}
.finding.sev-error { border-left-color: var(--error); }
.finding:target { box-shadow: 0 0 0 3px #9bb8f0; }
.finding-head { display: flex; flex-wrap: wrap; align-items: center; gap: .3rem .6rem; }
.sev { font-size: .72rem; font-weight: 700; text-transform: uppercase; letter-spacing: .06em;
  border-radius: 4px; padding: .05rem .45rem; }
.sev-error .sev, .sev.sev-error { background: var(--error-bg); color: var(--error); }
.sev.sev-warning { background: var(--warning-bg); color: var(--warning); }
.code { font-family: var(--mono); font-weight: 700; font-size: 14px; color: var(--ink); }
a.code { text-decoration: none; border-bottom: 1px dotted var(--muted); }
.rule-name { color: var(--muted); font-family: var(--mono); font-size: 13px; }
.loc { font-family: var(--mono); font-size: 13px; overflow-wrap: anywhere; }
.finding-head .loc { margin-left: auto; }
.loc .dir { color: var(--muted); }
.loc .file { font-weight: 600; }
.permalink { color: var(--muted); text-decoration: none; font-family: var(--mono); }
.message { margin: .45rem 0 .6rem; }
.advice { margin: .6rem 0 0; padding: .45rem .7rem; background: #eef7f1;
  border-radius: 6px; font-size: .92rem; }
.advice-label { font-weight: 700; color: #137a3a; margin-right: .3rem; }
.autofix { margin: .35rem 0 0; font-size: .85rem; color: var(--muted); }
.flow { list-style: none; margin: 0; padding: 0; counter-reset: step; }
.step { position: relative; padding: 0 0 .75rem 2.4rem; counter-increment: step;
  --node: var(--call); }
.step::before {
  content: counter(step); position: absolute; left: 0; top: 0; width: 1.6rem; height: 1.6rem;
  border-radius: 50%; background: var(--node); color: #fff; font-size: .8rem;
  font-weight: 700; display: flex; align-items: center; justify-content: center;
  box-shadow: 0 0 0 3px var(--card);
}
.step::after {
  content: ""; position: absolute; left: calc(.8rem - 1px); top: 1.7rem; bottom: .1rem;
  border-left: 2px solid #cfd5df;
}
.step:last-child { padding-bottom: 0; }
.step:last-child::after { display: none; }
.step-creation { --node: var(--creation); }
.step-entry { --node: var(--entry); }
.step-call { --node: var(--call); }
.step-store { --node: var(--warning); }
.sev-error .step-store { --node: var(--error); }
.step-reader { --node: var(--reader); }
.step-head { display: flex; flex-wrap: wrap; align-items: baseline; gap: .2rem .6rem;
  min-height: 1.6rem; }
.step-label { font-size: .75rem; font-weight: 700; text-transform: uppercase;
  letter-spacing: .06em; color: var(--node); }
.step-message { margin: 0 0 .3rem; font-size: .92rem; }
.step-store .step-message { font-weight: 600; }
.step-store > .snippet { border-color: var(--node); }
.snippet {
  margin: 0; background: var(--code-bg); border: 1px solid var(--line); border-radius: 6px;
  padding: .35rem 0; overflow-x: auto; tab-size: 4; line-height: 1.45;
}
.snippet code { display: block; }
.snippet .row { display: block; padding-right: .8rem; white-space: pre; }
.snippet .ln { display: inline-block; width: 3.2em; padding-right: .8em; text-align: right;
  color: #9aa2b1; user-select: none; }
.snippet .mark { background: var(--mark-bg); box-shadow: inset 3px 0 0 var(--node, var(--error)); }
.lone .snippet .mark { box-shadow: inset 3px 0 0 var(--warning); }
.sev-error .lone .snippet .mark { box-shadow: inset 3px 0 0 var(--error); }
.snippet .mark .ln { color: var(--ink); font-weight: 700; }
.docs { padding: 1rem 1rem 2rem; }
.docs > h2 { font-size: 1.25rem; border-bottom: 2px solid var(--line); padding-bottom: .4rem; }
.doc { background: var(--card); border: 1px solid var(--line); border-radius: 10px;
  margin: .5rem 0; }
.doc > summary { cursor: pointer; padding: .55rem .9rem; }
.doc[open] > summary { border-bottom: 1px solid var(--line); }
.doc-summary { color: var(--muted); }
.md { padding: .2rem 1.2rem 1rem; }
.md h3 { font-size: 1.05rem; margin: 1.1rem 0 .3rem; }
.md h4, .md h5, .md h6 { font-size: .95rem; margin: .9rem 0 .3rem; }
.md pre { background: var(--code-bg); border: 1px solid var(--line); border-radius: 6px;
  padding: .5rem .8rem; overflow-x: auto; }
.md table { border-collapse: collapse; font-size: .88rem; }
.md td, .md th { border: 1px solid var(--line); padding: .2rem .45rem; vertical-align: top; }
.doc-source { color: var(--muted); font-size: .85rem; }
footer { padding: 1rem; color: var(--muted); font-size: .85rem; }
@media (max-width: 760px) {
  .tiles { grid-template-columns: repeat(2, 1fr); }
  .summary-columns { grid-template-columns: 1fr; }
  .finding-head .loc { margin-left: 0; }
}
@media print {
  .filters { display: none; }
  .doc:not([open]) { display: none; }
}
"""

PAGE_SCRIPT = """\
(function () {
  "use strict";
  var form = document.getElementById("filters");
  if (!form) { openTargetedDocument(); return; }
  var findings = Array.prototype.slice.call(document.querySelectorAll(".finding"));
  var groups = Array.prototype.slice.call(document.querySelectorAll(".group"));
  var indexLinks = Array.prototype.slice.call(document.querySelectorAll(".group-index li"));
  var indexLists = Array.prototype.slice.call(document.querySelectorAll(".group-index ol"));
  var shown = document.getElementById("shown");

  function filterFromHash() {
    var hash = window.location.hash.slice(1);
    if (hash.indexOf("=") < 0) { return null; }
    var params = new URLSearchParams(hash);
    return {
      rule: (params.get("rule") || "").toUpperCase(),
      severity: (params.get("severity") || "").toLowerCase(),
      path: params.get("path") || ""
    };
  }

  function filterFromForm() {
    return { rule: form.rule.value, severity: form.severity.value, path: form.path.value };
  }

  function showInForm(filter) {
    form.rule.value = filter.rule;
    form.severity.value = filter.severity;
    form.path.value = filter.path;
  }

  function matches(finding, filter) {
    var data = finding.dataset;
    return (!filter.rule || data.rule === filter.rule) &&
      (!filter.severity || data.severity === filter.severity) &&
      (!filter.path || data.path.indexOf(filter.path) >= 0);
  }

  function apply(filter) {
    var count = 0;
    findings.forEach(function (finding) {
      var visible = matches(finding, filter);
      finding.hidden = !visible;
      if (visible) { count += 1; }
    });
    groups.forEach(function (group, index) {
      var empty = !group.querySelector(".finding:not([hidden])");
      group.hidden = empty;
      if (indexLinks[index]) { indexLinks[index].hidden = empty; }
    });
    indexLists.forEach(function (list) {
      var empty = !list.querySelector("li:not([hidden])");
      list.hidden = empty;
      if (list.previousElementSibling) { list.previousElementSibling.hidden = empty; }
    });
    shown.textContent = count === findings.length ?
      findings.length + " findings" : count + " of " + findings.length + " findings shown";
    document.body.setAttribute("data-filtered", count === findings.length ? "no" : "yes");
  }

  function toHash(filter) {
    var params = new URLSearchParams();
    ["rule", "severity", "path"].forEach(function (key) {
      if (filter[key]) { params.set(key, filter[key]); }
    });
    var text = params.toString();
    return text ? "#" + text : window.location.pathname + window.location.search;
  }

  function openTargetedDocument() {
    var id = window.location.hash.slice(1);
    var target = id && id.indexOf("=") < 0 ? document.getElementById(id) : null;
    if (target && target.tagName === "DETAILS") { target.open = true; }
  }

  form.addEventListener("input", function () {
    var filter = filterFromForm();
    apply(filter);
    window.history.replaceState(null, "", toHash(filter));
  });
  form.addEventListener("submit", function (event) { event.preventDefault(); });
  form.addEventListener("reset", function () {
    window.setTimeout(function () {
      apply(filterFromForm());
      window.history.replaceState(null, "", toHash(filterFromForm()));
    }, 0);
  });
  window.addEventListener("hashchange", function () {
    var filter = filterFromHash();
    if (filter) { showInForm(filter); apply(filter); } else { openTargetedDocument(); }
  });

  form.hidden = false;
  var initial = filterFromHash();
  if (initial) { showInForm(initial); apply(initial); } else {
    apply(filterFromForm());
    openTargetedDocument();
  }
}());
"""
