"""`freeze report`: one self-contained HTML page of where an archive's bytes go.

A treemap of the archive by distribution, then top-level package, then module or
file, each sized by its bytes in the archive; and a searchable table of every
module and file with its size, its reason for being there and its importers
(read from the reasons table, freezer/why.py).  The page needs nothing but a
browser: data, style and script are inline.  `#q=TEXT` in its address fills the
search box, so a link can point at a module.
"""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

from . import contents, why
from .errors import FreezeError
from .runtime import boot

APP = "(the app)"  # modules and files that belong to no distribution


def write(archive_path: Path, output: Path) -> int:
    """Write the page for the archive (or Lambda package) at `archive_path`; its size."""
    data = _data(archive_path)
    page = _PAGE.replace("{title}", html.escape(f"freeze report: {archive_path.name}")).replace(
        "{data}", json.dumps(data, sort_keys=True).replace("</", "<\\/"))
    try:
        output.write_text(page, encoding="utf-8")
    except OSError as exc:
        raise FreezeError(f"cannot write {output}: {exc.strerror or exc}") from None
    return len(page.encode())


def _data(archive_path: Path) -> dict[str, Any]:
    with contents.opened(archive_path) as archive:
        info = contents.summary(archive, archive_path)
        reasons = why.read(archive)
        if reasons is None:
            raise FreezeError(f"{archive_path}: records no reasons (built by an older freeze); "
                              "rebuild it")
        owner = {name: dist for dist, (names, paths) in reasons["distributions"].items()
                 for name in (*names, *paths)}
        items = []
        for module in info["modules"]:
            name = module["name"]
            items.append({"name": name, "kind": module["kind"],
                          "bytes": module["length"] + module["source_length"],
                          "dist": owner.get(name, APP), "group": name.partition(".")[0],
                          "why": why.first_step(archive, reasons, name),
                          "importers": list(reasons.get("importers", {}).get(name, ()))})
        for item in info["files"]:
            path = item["path"]
            items.append({"name": path, "kind": "file (extracted)" if item["extract"] else "file",
                          "bytes": item["length"], "dist": owner.get(path, APP),
                          "group": path.split("/")[0],
                          "why": why.first_step(archive, reasons, path) if path in reasons["files"]
                          else f"{path}: carried", "importers": []})
    return {"archive": str(archive_path), "size": info["size"],
            "pythons": [boot.python_label(p["version"], bytes.fromhex(p["magic"]))
                        for p in info["pythons"]],
            "entry": info["entry"], "items": items}


_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>
body { font: 14px system-ui, sans-serif; margin: 1em 2em; color: #222; }
#map { position: relative; width: 100%; height: 480px; border: 1px solid #888; }
.cell { position: absolute; box-sizing: border-box; border: 1px solid #fff; overflow: hidden;
        font-size: 11px; padding: 2px; cursor: pointer; color: #111; }
.cell:hover { outline: 2px solid #000; z-index: 1; }
table { border-collapse: collapse; margin-top: 1em; width: 100%; }
td, th { text-align: left; padding: 2px 8px; border-bottom: 1px solid #ddd; vertical-align: top; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
input { font-size: 14px; width: 30em; padding: 4px; }
</style></head>
<body>
<h1 id="title"></h1>
<p id="summary"></p>
<div id="map"></div>
<p><label>Find a module or file: <input id="q" type="search" placeholder="name or part of it">
</label> <span id="count"></span></p>
<table><thead><tr><th>name</th><th>kind</th><th>bytes</th><th>distribution</th>
<th>why it is there</th><th>imported by</th></tr></thead><tbody id="rows"></tbody></table>
<script type="application/json" id="data">{data}</script>
<script>
"use strict";
const data = JSON.parse(document.getElementById("data").textContent);
const fmt = n => n.toLocaleString("en");
document.getElementById("title").textContent = "freeze report: " + data.archive;
document.getElementById("summary").textContent = fmt(data.size) + " bytes, " +
  fmt(data.items.length) + " modules and files, for " + data.pythons.join(", ") +
  "; entry: " + data.entry.kind + " " + data.entry.module;

// distribution -> top-level package -> items, each node sized by its bytes
function tree() {
  const root = {name: "", children: new Map()};
  for (const item of data.items) {
    let node = root;
    for (const key of [item.dist, item.group]) {
      if (!node.children.has(key)) node.children.set(key, {name: key, children: new Map()});
      node = node.children.get(key);
    }
    node.children.set(item.name, {name: item.name, item: item, size: item.bytes});
  }
  const total = node => node.size = node.children ?
    [...node.children.values()].reduce((sum, child) => sum + total(child), 0) : node.size;
  total(root);
  return root;
}

// Squarified treemap: lay children in rows along the shorter side, keeping cells square.
function squarify(children, x, y, w, h, out, depth) {
  const items = children.filter(c => c.size > 0).sort((a, b) => b.size - a.size);
  const sum = items.reduce((s, c) => s + c.size, 0);
  if (!sum || w < 1 || h < 1) return;
  const scale = w * h / sum;
  let row = [], rest = items.slice();
  const worst = (row, side) => {
    const s = row.reduce((t, c) => t + c.size * scale, 0);
    const max = Math.max(...row.map(c => c.size * scale)), min = Math.min(...row.map(c => c.size * scale));
    return Math.max(side * side * max / (s * s), s * s / (side * side * min));
  };
  while (rest.length) {
    const side = Math.min(w, h), next = rest[0];
    if (!row.length || worst(row.concat([next]), side) <= worst(row, side)) {
      row.push(next); rest.shift(); continue;
    }
    [x, y, w, h] = place(row, x, y, w, h, scale, out, depth); row = [];
  }
  if (row.length) place(row, x, y, w, h, scale, out, depth);
}

function place(row, x, y, w, h, scale, out, depth) {
  const area = row.reduce((s, c) => s + c.size * scale, 0);
  const across = w >= h, thick = area / (across ? h : w);
  let offset = 0;
  for (const node of row) {
    const length = node.size * scale / thick;
    const box = across ? [x, y + offset, thick, length] : [x + offset, y, length, thick];
    offset += length;
    if (node.children && depth < 2) {
      out.push({node: node, box: box, depth: depth});
      squarify([...node.children.values()], box[0] + 2, box[1] + 14, box[2] - 4, box[3] - 16,
               out, depth + 1);
    } else out.push({node: node, box: box, depth: depth});
  }
  return across ? [x + thick, y, w - thick, h] : [x, y + thick, w, h - thick];
}

function draw() {
  const map = document.getElementById("map"), cells = [];
  map.textContent = "";
  squarify([...tree().children.values()], 0, 0, map.clientWidth, map.clientHeight, cells, 0);
  const hues = new Map();
  for (const {node, box, depth} of cells) {
    const div = document.createElement("div");
    div.className = "cell";
    const dist = depth === 0 ? node.name : (node.item ? node.item.dist : null);
    if (depth === 0 && !hues.has(node.name)) hues.set(node.name, (hues.size * 67) % 360);
    const hue = depth === 0 ? hues.get(node.name) : 0;
    Object.assign(div.style, {left: box[0] + "px", top: box[1] + "px", width: box[2] + "px",
      height: box[3] + "px", background: depth === 0 ? `hsl(${hue},45%,80%)` :
        `hsla(0,0%,100%,${0.25 + 0.2 * depth})`});
    div.textContent = node.name;
    div.title = node.name + ": " + fmt(node.size) + " bytes";
    div.dataset.name = node.name;
    div.addEventListener("click", event => {
      event.stopPropagation(); search.value = node.name; show();
    });
    map.appendChild(div);
  }
}

const search = document.getElementById("q");
function show() {
  const text = search.value.trim().toLowerCase();
  const found = data.items.filter(item => !text || item.name.toLowerCase().includes(text) ||
    item.dist.toLowerCase() === text).sort((a, b) => b.bytes - a.bytes);
  const rows = document.getElementById("rows");
  rows.textContent = "";
  for (const item of found.slice(0, 500)) {
    const tr = rows.insertRow();
    tr.dataset.name = item.name;
    for (const [value, number] of [[item.name], [item.kind], [fmt(item.bytes), true],
        [item.dist], [item.why.slice(item.why.indexOf(": ") + 2)], [item.importers.join(", ")]]) {
      const td = tr.insertCell();
      td.textContent = value;
      if (number) td.className = "n";
    }
  }
  document.getElementById("count").textContent = fmt(found.length) + " found" +
    (found.length > 500 ? ", the 500 largest shown" : "");
}
search.addEventListener("input", show);
const asked = new URLSearchParams(location.hash.slice(1)).get("q");
if (asked) search.value = asked;
draw();
show();
window.addEventListener("resize", draw);
</script>
</body></html>
"""
